package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/record"
)

// hostile is text that would set window.pwned if any of it ran as script,
// or reorder the page's text (a bidi override) if shown raw.
const (
	hostileScript = `<script>window.pwned=1</script>`
	hostileImg    = `<img src=x onerror="window.pwned=1">`
	hostileLink   = `javascript:window.pwned=1`
	bidi          = "abc\u202eevil"
)

// chromiumPath returns the browser to drive: $CHROMIUM, else the first of
// chromium, chromium-browser, google-chrome on PATH; it skips the test,
// saying why, when there is none.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skip("skipped: no chromium on PATH and $CHROMIUM unset (Debian: apt-get install -y chromium)")
	return ""
}

// buildToolaudit builds the command from this checkout (through go.work)
// into a temporary folder.
func buildToolaudit(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "toolaudit")
	out, err := exec.Command("go", "build", "-C", "../../cmd/toolaudit", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build ./cmd/toolaudit: %s", out)
	return bin
}

// server is a running toolaudit serve.
type server struct {
	URL    string
	mu     sync.Mutex
	stderr strings.Builder
}

func (s *server) log() string { s.mu.Lock(); defer s.mu.Unlock(); return s.stderr.String() }

var listening = regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)/`)

// serve starts bin serve on a free loopback port and stops it at cleanup.
func serve(t *testing.T, bin, root string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--root", root, "--addr", "127.0.0.1:0", "--poll", "100ms"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); cmd.Wait() })
	s := &server{}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.mu.Lock()
			s.stderr.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pipe)
	}()
	select {
	case s.URL = <-found:
	case <-time.After(15 * time.Second):
		t.Fatalf("toolaudit serve did not say where it listens: %s", s.log())
	}
	return s
}

// browser starts headless Chromium with one tab; console returns what the
// pages logged, the CSP violations among it (a listener injected through
// CDP, so not subject to the page's CSP, logs each one).
func browser(t *testing.T) (ctx context.Context, console func() []chromedp.ConsoleMessage) {
	t.Helper()
	exe := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 800))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Skipf("skipped: chromium at %s does not start: %v", exe, err)
	}
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `document.addEventListener("securitypolicyviolation", e =>
  console.error("CSP-VIOLATION", e.violatedDirective, e.blockedURI));`})
	require.NoError(t, err)
	var mu sync.Mutex
	var msgs []chromedp.ConsoleMessage
	stream := chromedp.Console(ctx)
	go func() {
		for m, err := range stream {
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}
	}()
	return ctx, func() []chromedp.ConsoleMessage { mu.Lock(); defer mu.Unlock(); return slices.Clone(msgs) }
}

// step runs steps with a timeout derived from the started browser.
func step(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(tctx, steps...))
}

// eval evaluates a JavaScript expression in the page through CDP.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// texts is the text of each element matching css, in document order.
func texts(t *testing.T, ctx context.Context, css string) []string {
	t.Helper()
	b, _ := json.Marshal(css)
	return eval[[]string](t, ctx, fmt.Sprintf(`Array.from(document.querySelectorAll(%s), e => e.textContent)`, b))
}

// screenshot saves the page as dir/name.png.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// seed writes entries into root, each in its writer's day file.
func seed(t *testing.T, root string, entries ...record.Entry) {
	t.Helper()
	for _, e := range entries {
		dir := filepath.Join(root, e.User, "tool_audit")
		require.NoError(t, os.MkdirAll(dir, 0o700))
		f, err := os.OpenFile(filepath.Join(dir, e.Time.Format("2006-01-02")+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		require.NoError(t, err)
		_, err = f.Write(append(e.AppendJSON(nil), '\n'))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
}

func call(user, tool string, status record.Status, at time.Time, args string) record.Entry {
	return record.Entry{Time: at.Truncate(time.Second), User: user, Engine: "anthropic", Model: "claude", Tool: tool,
		Args: json.RawMessage(args), Status: status, ResultChars: 4, ResultSnippet: "done", Duration: 12 * time.Millisecond}
}

package exporter_test

// End-to-end tests of the promises in the README's "Guarantees" section:
// the whole pipeline (middleware, otelx provider, exporter, files), real
// processes where the promise is about processes.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
)

const helperEnv = "TOOLAUDIT_TEST_HELPER"

// helpers are the modes in which the test binary runs as a child process
// of a test, chosen by $TOOLAUDIT_TEST_HELPER.
var helpers = map[string]func() int{
	"writer":       helperWriter,
	"crasher":      helperCrasher,
	"sync-crasher": helperSyncCrasher,
	"steady":       helperSteady,
}

func TestMain(m *testing.M) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		os.Exit(m.Run())
	}
	h, ok := helpers[mode]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown helper", mode)
		os.Exit(2)
	}
	os.Exit(h())
}

// audit is the census of an audit tree.
type audit struct {
	lines   int
	corrupt []string
	spans   map[string]int // span_id -> times seen
	users   map[string]int
}

func census(t *testing.T, root string) audit {
	t.Helper()
	a := audit{spans: map[string]int{}, users: map[string]int{}}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonl") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			if len(sc.Bytes()) == 0 {
				continue
			}
			var e record.Entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.SpanID == "" {
				a.corrupt = append(a.corrupt, sc.Text())
				continue
			}
			a.lines++
			a.spans[e.SpanID]++
			a.users[e.User]++
		}
		return sc.Err()
	})
	require.NoError(t, err)
	return a
}

func (a audit) duplicates() int {
	n := 0
	for _, c := range a.spans {
		if c > 1 {
			n++
		}
	}
	return n
}

// pipeline is a provider and middleware writing to an exporter under root.
func pipeline(t testing.TB, root string, popts []otelx.Option, eopts ...exporter.Option) (*exporter.Exporter, *sdktrace.TracerProvider, *toolaudit.Middleware) {
	exp, err := exporter.New(root, eopts...)
	require.NoError(t, err)
	tp, err := otelx.NewTracerProvider(exp, popts...)
	require.NoError(t, err)
	return exp, tp, toolaudit.New(toolaudit.WithTracerProvider(tp))
}

func noop(context.Context, map[string]any) (string, error) { return "ok", nil }

func TestGuaranteeSamplingEndToEnd(t *testing.T) {
	root := t.TempDir()
	forwarded := tracetest.NewInMemoryExporter()
	_, tp, mw := pipeline(t, root, []otelx.Option{
		otelx.WithSampler(sdktrace.TraceIDRatioBased(0.01)),
		otelx.WithForwarder(forwarded, sdktrace.WithMaxQueueSize(20000), sdktrace.WithBlocking()),
	})
	tool := mw.Wrap("noop", noop)
	ctx := toolaudit.ContextWithUser(context.Background(), "alice")
	for range 10000 {
		_, err := tool(ctx, nil)
		require.NoError(t, err)
	}
	require.NoError(t, tp.ForceFlush(context.Background()))
	n := len(forwarded.GetSpans())
	require.NoError(t, tp.Shutdown(context.Background()))
	a := census(t, root)
	assert.Equal(t, 10000, a.lines, "every call is audited")
	assert.Empty(t, a.corrupt)
	assert.Zero(t, a.duplicates())
	assert.InDelta(t, 100, n, 60, "about 1%% forwarded")
}

func TestGuaranteeMillionCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 1,000,000 calls")
	}
	root := t.TempDir()
	exp, tp, mw := pipeline(t, root, []otelx.Option{otelx.WithMaxQueue(4096)})
	tool := mw.Wrap("noop", noop)
	const goroutines, perG, users = 64, 1_000_000 / 64, 16
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := toolaudit.ContextWithUser(context.Background(), fmt.Sprintf("user%02d", g%users))
			for range perG {
				if _, err := tool(ctx, map[string]any{"g": g}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, tp.Shutdown(context.Background()))
	a := census(t, root)
	assert.Equal(t, goroutines*perG, a.lines)
	assert.Len(t, a.spans, goroutines*perG, "every span_id present")
	assert.Zero(t, a.duplicates())
	assert.Empty(t, a.corrupt)
	assert.Len(t, a.users, users)
	h := exp.Health()
	assert.Equal(t, uint64(goroutines*perG), h.LinesWritten)
	assert.Zero(t, h.LinesFailed)
}

// helperWriter writes N calls for one user through the whole pipeline.
func helperWriter() int {
	n, _ := strconv.Atoi(os.Getenv("N"))
	_, tp, mw := pipeline(nopTB{}, os.Getenv("ROOT"), nil, exporter.WithLocation(time.UTC))
	tool := mw.Wrap("noop", noop)
	ctx := toolaudit.ContextWithUser(context.Background(), "shared")
	pad := strings.Repeat("p", 200)
	for i := range n {
		if _, err := tool(ctx, map[string]any{"i": i, "pad": pad}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func helperCmd(t *testing.T, mode string, env ...string) *exec.Cmd {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, helperEnv+"="+mode)...)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestGuaranteeProcessesShareAFile(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 8 processes × 20,000 lines")
	}
	root := t.TempDir()
	const procs, perProc = 8, 20000
	var cmds []*exec.Cmd
	for range procs {
		cmd := helperCmd(t, "writer", "ROOT="+root, "N="+strconv.Itoa(perProc))
		require.NoError(t, cmd.Start())
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		require.NoError(t, cmd.Wait())
	}
	a := census(t, root)
	assert.Empty(t, a.corrupt, "zero corrupt lines")
	assert.Equal(t, procs*perProc, a.lines)
	assert.Zero(t, a.duplicates())
	days, _ := filepath.Glob(filepath.Join(root, "shared", "tool_audit", "*.jsonl"))
	assert.NotEmpty(t, days)
}

// helperCrasher writes calls forever, printing "ack SPANID" once a flush
// has written it, until it is killed.
func helperCrasher() int {
	_, tp, mw := pipeline(nopTB{}, os.Getenv("ROOT"), nil, exporter.WithLocation(time.UTC))
	var id string
	tool := mw.Wrap("noop", func(ctx context.Context, _ map[string]any) (string, error) {
		id = trace.SpanContextFromContext(ctx).SpanID().String()
		return "ok", nil
	})
	ctx := toolaudit.ContextWithUser(context.Background(), "crash")
	// Large lines make a kill in the middle of a write likely.
	pad := strings.Repeat("p", 400)
	args := map[string]any{}
	for i := range 100 {
		args[strconv.Itoa(i)] = pad
	}
	out := bufio.NewWriter(os.Stdout)
	for {
		for range 20 {
			if _, err := tool(ctx, args); err != nil {
				return 1
			}
		}
		if err := tp.ForceFlush(context.Background()); err != nil {
			return 1
		}
		fmt.Fprintf(out, "ack %s\n", id)
		out.Flush()
	}
}

func TestGuaranteeCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("long: kills writers in a loop")
	}
	root := t.TempDir()
	var acked []string
	const kills = 12
	for k := range kills {
		cmd := helperCmd(t, "crasher", "ROOT="+root)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(stdout)
		deadline := 5 + k%7 // acknowledgements to wait for before the kill
		for i := 0; i < deadline && sc.Scan(); i++ {
			acked = append(acked, strings.TrimPrefix(sc.Text(), "ack "))
		}
		time.Sleep(time.Duration(k%4) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		// An ack printed before the kill landed still counts.
		for sc.Scan() {
			acked = append(acked, strings.TrimPrefix(sc.Text(), "ack "))
		}
		_ = cmd.Wait()
	}
	require.NotEmpty(t, acked, "the writers acknowledged flushes before being killed")
	a := census(t, root)
	for _, id := range acked {
		assert.Equal(t, 1, a.spans[id], "acknowledged span %s is intact", id)
	}
	assert.LessOrEqual(t, len(a.corrupt), kills, "at most one torn line per kill")
	assert.Zero(t, a.duplicates())
	t.Logf("%d kills, %d acknowledged flushes, %d lines, %d torn lines", kills, len(acked), a.lines, len(a.corrupt))

	// Every torn line ends with a newline of its own: no line is glued.
	files, _ := filepath.Glob(filepath.Join(root, "crash", "tool_audit", "*.jsonl"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			assert.LessOrEqual(t, bytes.Count(l, []byte(`{"ts":`)), 1, "two lines glued together")
		}
	}
}

// helperSyncCrasher calls a tool forever through a provider that waits
// for each line's export, printing "ack SPANID" as soon as each call
// returns (no flush), until it is killed.
func helperSyncCrasher() int {
	_, _, mw := pipeline(nopTB{}, os.Getenv("ROOT"), []otelx.Option{otelx.WithWaitForExport()}, exporter.WithLocation(time.UTC))
	var id string
	tool := mw.Wrap("noop", func(ctx context.Context, _ map[string]any) (string, error) {
		id = trace.SpanContextFromContext(ctx).SpanID().String()
		return "ok", nil
	})
	ctx := toolaudit.ContextWithUser(context.Background(), "crash")
	out := bufio.NewWriter(os.Stdout)
	for {
		if _, err := tool(ctx, map[string]any{"q": "x"}); err != nil {
			return 1
		}
		fmt.Fprintf(out, "ack %s\n", id)
		out.Flush()
	}
}

// TestGuaranteeWaitForExportSurvivesKill kills, by SIGKILL and without
// any flush, processes whose calls wait for their export: every call that
// returned has its line.
func TestGuaranteeWaitForExportSurvivesKill(t *testing.T) {
	root := t.TempDir()
	var acked []string
	for k := range 4 {
		cmd := helperCmd(t, "sync-crasher", "ROOT="+root)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(stdout)
		for i := 0; i < 200+50*k && sc.Scan(); i++ {
			acked = append(acked, strings.TrimPrefix(sc.Text(), "ack "))
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		for sc.Scan() {
			acked = append(acked, strings.TrimPrefix(sc.Text(), "ack "))
		}
		_ = cmd.Wait()
	}
	a := census(t, root)
	for _, id := range acked {
		require.Equal(t, 1, a.spans[id], "the line of call %s, which returned, is there", id)
	}
	// A kill can tear the line being written, at a page boundary (the
	// kernel checks for a fatal signal between pages): that call had not
	// returned. The next process terminates it.
	assert.LessOrEqual(t, len(a.corrupt), 4, "at most one torn line per kill")
	t.Logf("4 kills, %d calls returned, %d lines, %d torn", len(acked), a.lines, len(a.corrupt))
}

func TestGuaranteeFailClosed(t *testing.T) {
	root := t.TempDir()
	exp, tp, _ := pipeline(t, root, nil, exporter.WithRetryInterval(20*time.Millisecond))
	defer tp.Shutdown(context.Background())
	ran := 0
	tool := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithFailClosed(exp.Check)).
		Wrap("t", func(context.Context, map[string]any) (string, error) { ran++; return "", nil })
	ctx := toolaudit.ContextWithUser(context.Background(), "ivy")

	_, err := tool(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, tp.ForceFlush(context.Background()))
	require.NoError(t, exp.Check(ctx))

	// A file where ivy's folder should be: her lines cannot be written.
	require.NoError(t, os.RemoveAll(filepath.Join(root, "ivy")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "ivy"), nil, 0o600))
	_, err = tool(ctx, nil)
	require.NoError(t, err, "the call before the fault is seen runs")
	require.Error(t, tp.ForceFlush(context.Background()))
	require.ErrorIs(t, exp.Check(ctx), exporter.ErrNotWritable)

	_, err = tool(ctx, nil)
	require.ErrorIs(t, err, toolaudit.ErrDenied)
	require.ErrorIs(t, err, toolaudit.ErrAuditUnavailable)
	assert.Contains(t, err.Error(), "audit sink cannot write")
	assert.Equal(t, 2, ran, "the tool did not run")

	// The fault clears: the retry writes the spilled lines, calls run again.
	require.NoError(t, os.Remove(filepath.Join(root, "ivy")))
	require.Eventually(t, func() bool { return exp.Check(ctx) == nil }, 5*time.Second, 10*time.Millisecond)
	_, err = tool(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, tp.Shutdown(context.Background()))
	a := census(t, root)
	assert.Equal(t, 3, a.lines, "the spilled call and the denied call were written after the fault")
	h := exp.Health()
	assert.Zero(t, h.LinesFailed)
}

// mountTmpfs mounts a small tmpfs for a disk-fault test, or skips.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

func remount(t *testing.T, dir, opts string) {
	t.Helper()
	out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput()
	require.NoError(t, err, string(out))
}

// handlerErrors collects what reaches the OpenTelemetry error handler.
func handlerErrors(t *testing.T) func() []error {
	var mu sync.Mutex
	var errs []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
	return func() []error { mu.Lock(); defer mu.Unlock(); return append([]error(nil), errs...) }
}

func TestGuaranteeDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "256k")
	handled := handlerErrors(t)
	exp, tp, mw := pipeline(t, dir, nil, exporter.WithRetryInterval(time.Hour))
	tool := mw.Wrap("t", noop)
	ctx := toolaudit.ContextWithUser(context.Background(), "kim")
	args := map[string]any{"pad": strings.Repeat("x", 400)}
	const calls = 1000 // about 700 KB of lines: far more than the disk holds
	for range calls {
		_, err := tool(ctx, args)
		require.NoError(t, err, "fail-open: the tool runs")
	}
	require.Error(t, tp.ForceFlush(context.Background()))
	h := exp.Health()
	require.Error(t, h.LastError)
	assert.True(t, errors.Is(h.LastError, syscall.ENOSPC), "%v", h.LastError)
	assert.Positive(t, h.LinesPending)
	assert.Equal(t, uint64(calls), h.LinesWritten+h.LinesPending+h.LinesFailed, "every line accounted for")
	assert.NotEmpty(t, handled(), "errors reach the error handler")
	requireWholeLines(t, dir)

	remount(t, dir, "size=4m")
	require.NoError(t, tp.ForceFlush(context.Background()))
	require.NoError(t, tp.Shutdown(context.Background()))
	h = exp.Health()
	assert.Zero(t, h.LinesPending)
	assert.Zero(t, h.LinesFailed)
	a := census(t, dir)
	assert.Equal(t, calls, a.lines, "every call written once the space is back")
	assert.Zero(t, a.duplicates())
	assert.Empty(t, a.corrupt, "no fragment of a line the disk cut")
}

// readOnly makes dir read-only for this process, root or not, and returns
// the undo; it skips when it cannot.
func readOnly(t *testing.T, dir string) func() {
	t.Helper()
	if os.Geteuid() != 0 {
		require.NoError(t, os.Chmod(dir, 0o500))
		return func() { require.NoError(t, os.Chmod(dir, 0o700)) }
	}
	// Root ignores permissions; an immutable folder stops it too.
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make a folder read-only as root (chattr +i): %v: %s", err, out)
	}
	undo := func() { _ = exec.Command("chattr", "-i", dir).Run() }
	t.Cleanup(undo)
	return func() { require.NoError(t, exec.Command("chattr", "-i", dir).Run()) }
}

func TestGuaranteeReadOnlyFolder(t *testing.T) {
	root := t.TempDir()
	handled := handlerErrors(t)
	exp, tp, mw := pipeline(t, root, nil, exporter.WithRetryInterval(time.Hour))
	tool := mw.Wrap("t", noop)
	ctx := toolaudit.ContextWithUser(context.Background(), "lee")
	require.NoError(t, os.Mkdir(filepath.Join(root, "lee"), 0o700))
	undo := readOnly(t, filepath.Join(root, "lee"))

	for range 5 {
		_, err := tool(ctx, nil)
		require.NoError(t, err, "fail-open: the tool runs")
	}
	ferr := tp.ForceFlush(context.Background())
	require.Error(t, ferr)
	assert.True(t, errors.Is(ferr, fs.ErrPermission), "%v", ferr)
	h := exp.Health()
	assert.Equal(t, uint64(5), h.LinesPending)
	assert.Error(t, h.LastError)
	assert.NotEmpty(t, handled(), "errors reach the error handler")

	undo()
	require.NoError(t, tp.ForceFlush(context.Background()), "writing resumes when the fault clears")
	require.NoError(t, tp.Shutdown(context.Background()))
	assert.Equal(t, 5, census(t, root).lines)
	assert.Zero(t, exp.Health().LinesFailed)
}

// nopTB lets the helpers reuse pipeline outside a test.
type nopTB struct{ testing.TB }

func (nopTB) Helper()                   {}
func (nopTB) Errorf(string, ...any)     {}
func (nopTB) FailNow()                  { os.Exit(3) }
func (nopTB) Cleanup(func())            {}
func (nopTB) Fatalf(f string, a ...any) { fmt.Fprintf(os.Stderr, f, a...); os.Exit(3) }

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/record"
)

// hostileArgs would run script, follow a javascript: link or reorder the
// text around it if any of it reached the page unescaped.
const hostileArgs = `{"q":"<script>window.pwned=1</script>","href":"javascript:alert(1)","b":"abc` + "\u202e" + `evil","nl":"a\nb"}`

// serveApp returns an httptest server of serve over root with opts.
func serveApp(t *testing.T, root string, o serveOptions, envv map[string]string) *httptest.Server {
	t.Helper()
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	a := &app{env: env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return envv[k] }, now: func() time.Time { return now }}, root: root}
	h, err := a.newServer(o)
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func hostileTree(t *testing.T) string {
	e := entry("alice", "search<b>", record.StatusOK, time.Hour, 10)
	e.Args = json.RawMessage(hostileArgs)
	e.ResultSnippet = `<img src=x onerror="window.pwned=1">` + "\u2066"
	e.TraceID, e.SpanID, e.CallID = "0123456789abcdef0123456789abcdef", "0123456789abcdef", "call-1"
	bad := entry("alice", "trace", record.StatusError, 30*time.Minute, 5)
	bad.TraceID = `"><script>x</script>`
	return tree(t, e, bad, entry("bob", "fetch", record.StatusDenied, 2*time.Hour, 1))
}

func TestServeEscapesEverything(t *testing.T) {
	ts := serveApp(t, hostileTree(t), serveOptions{traceURL: "http://jaeger:16686/trace/{trace_id}"}, nil)
	_, list := get(t, ts.URL+"/u/alice")
	_, day := get(t, ts.URL+"/u/alice/"+today)
	_, live := get(t, ts.URL+"/live")
	for name, body := range map[string]string{"recent": list, "day": day, "live": live} {
		assert.NotContains(t, body, "<script>window", name)
		assert.NotContains(t, body, "<img", name)
		assert.NotContains(t, body, "<b>", name)
		assert.NotContains(t, body, "\u202e", name)
		assert.NotContains(t, body, "\u2066", name)
		assert.Contains(t, body, `&lt;script&gt;window.pwned=1&lt;/script&gt;`, name)
		assert.Contains(t, body, `abc\u202eevil`, name, "the bidi override shown as an escape")
		assert.NotContains(t, body, `href="javascript:`, name)
	}
	_, searches := get(t, ts.URL+"/u/alice?tool=search*")
	i := strings.Index(searches, `/u/alice/call?`)
	require.Positive(t, i)
	href := strings.ReplaceAll(searches[i:i+strings.IndexByte(searches[i:], '"')], "&amp;", "&")
	resp, call := get(t, ts.URL+href)
	require.Equal(t, 200, resp.StatusCode, call)
	assert.Contains(t, call, `<a href="http://jaeger:16686/trace/0123456789abcdef0123456789abcdef" id="trace-link"`)
	assert.Contains(t, call, "&#34;q&#34;: &#34;&lt;script&gt;", "arguments pretty-printed, escaped")
	assert.Contains(t, call, `&#34;nl&#34;: &#34;a\nb&#34;`)
	assert.NotContains(t, call, "\u202e")
	assert.Contains(t, call, "call-1")

	_, all := get(t, ts.URL+"/u/alice?tool=trace")
	i = strings.Index(all, `/u/alice/call?`)
	require.Positive(t, i)
	_, call = get(t, ts.URL+strings.ReplaceAll(all[i:i+strings.IndexByte(all[i:], '"')], "&amp;", "&"))
	assert.NotContains(t, call, "trace-link", "a trace id that is not hex gets no link")
	assert.Contains(t, call, "&#34;&gt;&lt;script&gt;x&lt;/script&gt;")
}

func TestServeHeaders(t *testing.T) {
	ts := serveApp(t, sample(t), serveOptions{}, nil)
	for _, p := range []string{"/", "/u/alice", "/u/alice/" + today, "/stats", "/live", "/static/live.js", "/static/style.css", "/u/..x", "/nope"} {
		resp, _ := get(t, ts.URL+p)
		csp := resp.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'", p)
		assert.Contains(t, csp, "script-src 'self';", p)
		assert.NotContains(t, csp, "unsafe-inline", p)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), p)
		assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"), p)
	}
	resp, js := get(t, ts.URL+"/static/live.js")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	assert.Contains(t, js, "EventSource")
	assert.NotContains(t, js, "innerHTML")
	resp, body := get(t, ts.URL+"/live")
	assert.Contains(t, body, `<script src="/static/live.js" defer></script>`)
	assert.Equal(t, 1, strings.Count(body, "<script"), "no inline script")
	assert.NotContains(t, body, "style=", "no inline style")
	assert.Equal(t, 200, resp.StatusCode)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/u/alice", nil)
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r2.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, r2.StatusCode)
}

func TestServeBadInputIs400(t *testing.T) {
	ts := serveApp(t, sample(t), serveOptions{}, nil)
	for path, problem := range map[string]string{
		"/u/..%2Fetc":                       `invalid user name &#34;../etc&#34;`,
		"/u/.hidden":                        `invalid user name &#34;.hidden&#34;`,
		"/u/a%E2%80%AEb":                    "invalid user name",
		"/u/" + strings.Repeat("x", 65):     "65 bytes long",
		"/u/alice/2026-02-30":               `invalid day &#34;2026-02-30&#34;`,
		"/u/alice/..%2F..%2Fetc":            "invalid day",
		"/u/alice?status=maybe":             `invalid --status &#34;maybe&#34;`,
		"/u/alice?tool=%5B":                 "invalid --tool pattern",
		"/u/alice?since=yesterday":          "invalid --since",
		"/u/alice?page=0":                   `invalid page &#34;0&#34;`,
		"/u/alice?days=-1":                  `invalid days`,
		"/u/alice/call?ts=x":                `invalid ts &#34;x&#34;`,
		"/stats?days=1000":                  "invalid days",
		"/stats?user=%00":                   "invalid user name",
		"/live?user=a/b":                    "invalid user name",
		"/events?user=..":                   "invalid user name",
		"/u/%3Cscript%3Ealert(1)%3C/script": "invalid user name",
	} {
		resp, body := get(t, ts.URL+path)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, path)
		assert.Contains(t, body, problem, path)
		assert.NotContains(t, body, "<script>alert", path)
		assert.NotContains(t, body, "\u202e", path)
	}
	resp, body := get(t, ts.URL+"/u/alice/call?ts=2001-01-01T00:00:00Z&tool=x")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body, "no call of alice")
}

func TestServeListsFiltersAndPages(t *testing.T) {
	var es []record.Entry
	for i := range 120 {
		st := record.StatusOK
		if i%4 == 0 {
			st = record.StatusError
		}
		es = append(es, entry("carol", fmt.Sprintf("tool%03d", i), st, time.Duration(120-i)*time.Minute, i))
	}
	ts := serveApp(t, tree(t, append(es, sampleEntries()...)...), serveOptions{}, nil)

	_, p1 := get(t, ts.URL+"/u/carol")
	assert.Equal(t, pageSize, strings.Count(p1, `<tr class="call `))
	assert.Less(t, strings.Index(p1, "tool119"), strings.Index(p1, "tool118"), "newest first")
	assert.Contains(t, p1, `id="next"`)
	assert.NotContains(t, p1, `id="prev"`)
	_, p3 := get(t, ts.URL+"/u/carol?page=3")
	assert.Equal(t, 20, strings.Count(p3, `<tr class="call `))
	assert.Contains(t, p3, "tool000")
	assert.NotContains(t, p3, `id="next"`)

	_, f := get(t, ts.URL+"/u/carol?status=error&tool=tool1*")
	assert.Equal(t, 5, strings.Count(f, `<tr class="call `), "tool100..tool119 with i%4==0")
	assert.Contains(t, f, `value="tool1*"`, "the form keeps the filter")
	_, f = get(t, ts.URL+"/u/carol?text=TOOL007+query")
	assert.Equal(t, 1, strings.Count(f, `<tr class="call `))

	_, d := get(t, ts.URL+"/u/carol/"+today+"?page=1")
	assert.Less(t, strings.Index(d, "tool000"), strings.Index(d, "tool001"), "a day in file order")

	_, users := get(t, ts.URL+"/")
	assert.Contains(t, users, `<a href="/u/carol">carol</a>`)
	assert.Contains(t, users, `<td class="num calls">50+</td>`, "counts stop at the cap")
	assert.Contains(t, users, `<td class="num calls">4</td>`, "alice: her 10-day-old call is not today's")

	_, st := get(t, ts.URL+"/stats?user=carol&days=2")
	assert.Contains(t, st, `120 calls in the last 2 days`)
	assert.Contains(t, st, `<rect class="st-error"`)
	assert.Contains(t, st, `id="chart-tools"`)
}

func sampleEntries() []record.Entry {
	return []record.Entry{
		entry("alice", "search", record.StatusOK, 3*time.Hour, 10),
		entry("alice", "shell", record.StatusDenied, 2*time.Hour, 1),
		entry("alice", "search", record.StatusOK, 30*time.Minute, 40),
		entry("alice", "search", record.StatusOK, 20*time.Minute, -1),
		entry("alice", "old", record.StatusOK, 10*24*time.Hour, 1),
	}
}

func TestServeAuth(t *testing.T) {
	root := sample(t)
	a := &app{env: env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, now: time.Now}, root: root}
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "192.168.1.5:80", "example.com:80"} {
		_, err := a.newServer(serveOptions{addr: addr})
		require.Error(t, err, addr)
		assert.Contains(t, err.Error(), "without authentication", addr)
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:8080", "[::1]:80", "127.0.0.2:1"} {
		_, err := a.newServer(serveOptions{addr: addr})
		assert.NoError(t, err, addr)
	}
	_, err := a.newServer(serveOptions{addr: "127.0.0.1:0", traceURL: "javascript:alert(1)//{trace_id}"})
	assert.ErrorContains(t, err, "want an http:// or https:// URL")
	_, err = a.newServer(serveOptions{addr: "127.0.0.1:0", traceURL: "https://jaeger/trace/"})
	assert.ErrorContains(t, err, "no {trace_id}")
	file := filepath.Join(t.TempDir(), "auth")
	require.NoError(t, os.WriteFile(file, []byte("admin:short\n"), 0o600))
	_, err = a.newServer(serveOptions{addr: "0.0.0.0:0", authFile: file})
	assert.ErrorContains(t, err, "at least 12 characters")

	require.NoError(t, os.WriteFile(file, []byte("admin:correct horse battery\n"), 0o600))
	ts := serveApp(t, root, serveOptions{addr: "0.0.0.0:0", authFile: file}, nil)
	resp, body := get(t, ts.URL+"/")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
	assert.NotContains(t, body, "alice")
	for creds, want := range map[string]int{"admin:correct horse battery": 200, "admin:wrong horse battery": 401, "root:correct horse battery": 401} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/u/alice", nil)
		u, p, _ := strings.Cut(creds, ":")
		req.SetBasicAuth(u, p)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, creds)
	}
	ts = serveApp(t, root, serveOptions{addr: "0.0.0.0:0"}, map[string]string{envServeAuth: "ops:from the environment"})
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
	req.SetBasicAuth("ops", "from the environment")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

func TestServeRefusesForeignHostWithoutAuth(t *testing.T) {
	ts := serveApp(t, sample(t), serveOptions{}, nil)
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
	req.Host = "attacker.example:8080"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.NotContains(t, string(b), "alice")
}

func TestServeLiveEvents(t *testing.T) {
	root := sample(t)
	a := &app{env: env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, now: time.Now}, root: root}
	h, err := a.newServer(serveOptions{addr: "127.0.0.1:0", poll: 20 * time.Millisecond})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/events?user=bob", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && sc.Text() != "event: ready" {
	}
	time.Sleep(100 * time.Millisecond) // Follow's first poll marks where new lines start
	e := entry("bob", "fresh<script>", record.StatusOK, 0, 3)
	e.Time = time.Now()
	f, err := os.OpenFile(filepath.Join(root, "bob", "tool_audit", e.Time.Format("2006-01-02")+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	_, err = f.Write(append(e.AppendJSON(nil), '\n'))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	var data string
	for sc.Scan() {
		if sc.Text() == "event: call" {
			sc.Scan()
			data = strings.TrimPrefix(sc.Text(), "data: ")
			break
		}
	}
	var v callView
	require.NoError(t, json.Unmarshal([]byte(data), &v), data)
	assert.Equal(t, "fresh<script>", v.Tool, "JSON carries text; live.js sets it with textContent")
	assert.True(t, strings.HasPrefix(v.Href, "/u/bob/call?"))
	assert.False(t, bytes.Contains([]byte(data), []byte("<script>")), "JSON escapes < for HTML")
}

func TestServeCommand(t *testing.T) {
	root := sample(t)
	r := runCmd(t, false, nil, "--root", root, "serve", "--addr", "0.0.0.0:0")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `toolaudit: refusing to serve on "0.0.0.0:0" without authentication`)
	r = runCmd(t, false, nil, "--root", filepath.Join(root, "missing"), "serve")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "does not exist")

	// Served until interrupted; an open live stream does not hold the
	// shutdown up.
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--root", root, "serve", "--addr", "127.0.0.1:0"}, env{
			stdout: io.Discard, stderr: stderr, getenv: func(string) string { return "" }, now: time.Now,
		})
	}()
	var base string
	require.Eventually(t, func() bool {
		_, after, ok := strings.Cut(stderr.String(), "on http://")
		base, _, _ = strings.Cut(after, "/\n")
		return ok && strings.HasSuffix(after, "\n")
	}, 5*time.Second, 10*time.Millisecond)
	resp, body := get(t, "http://"+base+"/")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, `<a href="/u/alice">alice</a>`)
	events, err := http.Get("http://" + base + "/events")
	require.NoError(t, err)
	defer events.Body.Close()
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop when interrupted")
	}
}

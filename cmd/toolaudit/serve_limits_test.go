package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/record"
)

// What a request sends comes back cut and sanitized: a 4 MB Host or path
// does not make a 4 MB page.
func TestServeErrorPagesCutWhatWasSent(t *testing.T) {
	a := &app{env: env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, now: func() time.Time { return now }}, root: sample(t)}
	h, err := a.newServer(serveOptions{addr: "127.0.0.1:0"})
	require.NoError(t, err)
	long := strings.Repeat("a", 1<<20)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	req.Host = "evil\u202e" + long
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Less(t, w.Body.Len(), 4000, "the Host is cut")
	assert.False(t, strings.Contains(w.Body.String(), "\u202e"))
	req = httptest.NewRequest(http.MethodGet, "http://127.0.0.1/x"+long+"%E2%80%AE", nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Less(t, w.Body.Len(), 4000, "the path is cut")
	assert.True(t, strings.Contains(w.Body.String(), "no such page: /xaaa"))
}

// CSP reports are logged at most cspReportsPerMinute a minute, bodies cut.
func TestServeCSPReportsBounded(t *testing.T) {
	var log syncBuffer
	a := &app{env: env{stdout: io.Discard, stderr: &log, getenv: func(string) string { return "" }, now: func() time.Time { return now }}, root: sample(t)}
	h, err := a.newServer(serveOptions{addr: "127.0.0.1:0"})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	defer ts.Close()
	for range 50 {
		resp, err := http.Post(ts.URL+"/csp-report", "application/csp-report", strings.NewReader(`{"csp-report":{}}`+strings.Repeat("x", 100<<10)))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	assert.Len(t, lines, cspReportsPerMinute+1)
	assert.Less(t, len(log.String()), (cspReportsPerMinute+1)*2200)
}

// A client that sends its headers but not its body is cut off after the
// read timeout; a live stream outlives it.
func TestServeReadTimeout(t *testing.T) {
	saved := serveTimeouts
	serveTimeouts.read = 300 * time.Millisecond
	t.Cleanup(func() { serveTimeouts = saved })
	root := sample(t)
	a := &app{env: env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, now: time.Now}, root: root}
	h, err := a.newServer(serveOptions{addr: "127.0.0.1:0", poll: 20 * time.Millisecond})
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, l, h) }()
	t.Cleanup(func() { cancel(); <-done })

	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "POST /csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadAll(c)
	assert.NoError(t, err, "closed by the server before the client's deadline")

	resp, sc := openEvents(t, "http://"+l.Addr().String()+"/events")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	time.Sleep(600 * time.Millisecond)
	e := entry("alice", "after-timeout", record.StatusOK, 0, 1)
	e.Time = time.Now()
	appendDay(t, root, "alice", e.Time.Format("2006-01-02"), e)
	var got bool
	for !got && sc.Scan() {
		got = sc.Text() == "event: call"
	}
	assert.True(t, got, "the live stream outlives the read timeout")
}

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/record"
)

func TestShipUsage(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"ship", "--root", root}, 2, "ship needs --to"},
		{[]string{"ship", "--root", root, "--to", "bucket/x"}, 2, "want s3://bucket"},
		{[]string{"ship", "--root", root + "/missing", "--to", "s3://b"}, 1, "does not exist"},
	} {
		r := runCmd(t, false, nil, tc.args...)
		assert.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.err, tc.args)
	}
}

// TestShipOnce ships a tree to a server that takes every PUT and checks
// the keys and bodies it got.
func TestShipOnce(t *testing.T) {
	root := tree(t, entry("alice", "search", record.StatusOK, 0, 5), entry("bob", "fetch", record.StatusOK, 0, 5))
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = string(b)
		mu.Unlock()
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	r := runCmd(t, false, nil, "ship", "--root", root, "--to", "s3://audit/prod", "--host", "h1", "--once")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "2 lines")
	assert.Contains(t, r.stderr, "in 2 objects; 0 lines (0 bytes) not shipped")
	require.Len(t, got, 2, "%v", got)
	for path, body := range got {
		assert.Regexp(t, `^/audit/prod/(alice|bob)/tool_audit/\d{4}-\d\d-\d\d/h1/0{16}\.jsonl$`, path)
		assert.Equal(t, 1, strings.Count(body, "\n"), path)
	}
}

// TestShipStoppedIsSuccess: the sidecar runs until stopped, so SIGINT or
// SIGTERM is its normal end: exit 0 once what was left is shipped (it
// exited 1, "interrupted", found in review: every shutdown a failure).
func TestShipStoppedIsSuccess(t *testing.T) {
	root := tree(t, entry("alice", "search", record.StatusOK, 0, 5))
	var mu sync.Mutex
	puts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		puts++
		mu.Unlock()
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"ship", "--root", root, "--to", "s3://audit/prod", "--host", "h1"}, env{stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }, now: func() time.Time { return now }})
	assert.Equal(t, 0, code, errb.String())
	mu.Lock()
	assert.Equal(t, 1, puts, "what was left is shipped on the way out")
	mu.Unlock()
}

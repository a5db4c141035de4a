package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

// write appends e to its day file under root, as the exporter does.
func write(t *testing.T, root string, e record.Entry) {
	t.Helper()
	dir := filepath.Join(root, e.User, "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	f, err := os.OpenFile(filepath.Join(dir, e.Time.Format("2006-01-02")+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Write(append(e.AppendJSON(nil), '\n'))
	require.NoError(t, err)
}

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), path)
	return resp.StatusCode, string(body)
}

func TestAdminEndpoints(t *testing.T) {
	root := t.TempDir()
	// Noon today, with the reader's clock at it: minutes earlier are still
	// today, whenever the test runs.
	y, m, d := time.Now().Date()
	now := time.Date(y, m, d, 12, 0, 0, 0, time.Local)
	for i, e := range []struct {
		user, tool string
		status     record.Status
	}{{"alice", "search", record.StatusOK}, {"bob", "shell", record.StatusDenied}, {"alice", "weather", record.StatusError}} {
		write(t, root, record.Entry{Time: now.Add(time.Duration(i-3) * time.Minute), User: e.user, Tool: e.tool,
			Args: json.RawMessage(`{"q":"café"}`), Status: e.status})
	}
	srv := httptest.NewServer(handler(reader.New(root, reader.WithClock(func() time.Time { return now }))))
	defer srv.Close()

	code, body := get(t, srv, "/users")
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `["alice","bob"]`, body)

	code, body = get(t, srv, "/users/alice/recent?days=1&limit=10")
	require.Equal(t, http.StatusOK, code, body)
	var entries []record.Entry
	require.NoError(t, json.Unmarshal([]byte(body), &entries))
	require.Len(t, entries, 2)
	assert.Equal(t, "weather", entries[0].Tool, "newest first")
	assert.Equal(t, json.RawMessage(`{"q":"café"}`), entries[1].Args)

	code, body = get(t, srv, "/users/alice/days/"+now.Format("2006-01-02"))
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &entries))
	assert.Equal(t, "search", entries[0].Tool, "a day is in file order")

	code, body = get(t, srv, "/recent?limit=2")
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &entries))
	require.Len(t, entries, 2)
	assert.Equal(t, []string{"weather", "shell"}, []string{entries[0].Tool, entries[1].Tool})

	code, body = get(t, srv, "/users/nobody/recent")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "[]\n", body, "an unknown user has no entries: [], not null")

	for path, want := range map[string]string{
		"/users/..%2Fetc/recent":       "invalid user name",
		"/users/.hidden/recent":        "invalid user name",
		"/users/alice/days/2026-02-30": "invalid day",
		"/users/alice/recent?days=-1":  "must not be negative",
		"/recent?limit=lots":           `limit=\"lots\" is not a number`,
	} {
		code, body := get(t, srv, path)
		assert.Equal(t, http.StatusBadRequest, code, path)
		assert.Contains(t, body, want, path)
	}
}

// TestAdminRefusedUserHidesNoOne plants a symlink out of the root as bob's
// folder: /recent and /users still answer alice's entries, naming bob in a
// header, where they answered 500 and nothing.
func TestAdminRefusedUserHidesNoOne(t *testing.T) {
	root := t.TempDir()
	now := time.Now()
	write(t, root, record.Entry{Time: now, User: "alice", Tool: "search", Args: json.RawMessage(`{}`), Status: record.StatusOK})
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bob"), 0o700))
	require.NoError(t, os.Symlink(t.TempDir(), filepath.Join(root, "bob", "tool_audit")))
	srv := httptest.NewServer(handler(reader.New(root)))
	defer srv.Close()
	for _, path := range []string{"/recent", "/users"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, string(body), "alice", path)
		assert.Equal(t, []string{"bob"}, resp.Header.Values("X-Refused-User"), path)
	}
}

package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/record"
)

// appendDay appends entries to user's file of day, whatever their times:
// lines written a moment out of order land in the neighbouring day's file.
func appendDay(t *testing.T, root, user, day string, entries ...record.Entry) {
	t.Helper()
	dir := filepath.Join(root, user, "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	f, err := os.OpenFile(filepath.Join(dir, day+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	for _, e := range entries {
		_, err = f.Write(append(e.AppendJSON(nil), '\n'))
		require.NoError(t, err)
	}
}

func callURL(base string, e record.Entry) string {
	return base + "/u/" + e.User + "/call?" + url.Values{"ts": {e.Time.Format(time.RFC3339Nano)}, "tool": {e.Tool}}.Encode()
}

// The call page reads the day of its ts and the neighbouring day when the
// ts is within a minute of midnight, nothing else: today's refused file is
// never opened for an older call, and a ts out of the period served is a
// 404 without reading.
func TestServeCallReadsOnlyItsDay(t *testing.T) {
	old := entry("alice", "old", record.StatusOK, 10*24*time.Hour, 1)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	yesterday := midnight.AddDate(0, 0, -1).Format("2006-01-02")
	late := entry("alice", "late", record.StatusOK, 0, 1)
	late.Time = midnight.Add(-10 * time.Second) // yesterday's, written after midnight
	early := entry("alice", "early", record.StatusOK, 0, 1)
	early.Time = midnight.Add(10 * time.Second) // today's, written before midnight
	root := tree(t, old)
	appendDay(t, root, "alice", yesterday, early)
	appendDay(t, root, "alice", today, late)
	// The day after today: a file that is refused if anything opens it.
	outside := filepath.Join(t.TempDir(), "secret.jsonl")
	require.NoError(t, os.WriteFile(outside, nil, 0o600))
	tomorrow := midnight.AddDate(0, 0, 1).Format("2006-01-02")
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "alice", "tool_audit", tomorrow+".jsonl")))
	// And today's file of bob is refused: the 10-day-old call must not read it.
	appendDay(t, root, "bob", old.Time.Format("2006-01-02"), func() record.Entry { e := old; e.User = "bob"; return e }())
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "bob", "tool_audit", today+".jsonl")))
	ts := serveApp(t, root, serveOptions{}, nil)

	for _, e := range []record.Entry{old, late, early} {
		resp, body := get(t, callURL(ts.URL, e))
		assert.Equal(t, http.StatusOK, resp.StatusCode, e.Tool)
		assert.Contains(t, body, e.Tool)
		assert.NotContains(t, body, `id="warnings"`, e.Tool)
	}
	bobOld := old
	bobOld.User = "bob"
	resp, body := get(t, callURL(ts.URL, bobOld))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, body, `id="warnings"`, "today's file is not read for a call 10 days old")

	for _, q := range []string{"ts=0001-01-01T00:00:00Z", "ts=9999-12-31T23:59:59Z", "ts=" + url.QueryEscape(now.AddDate(-20, 0, 0).Format(time.RFC3339))} {
		resp, body := get(t, ts.URL+"/u/bob/call?"+q+"&tool=old")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, q)
		assert.NotContains(t, body, `id="warnings"`, q)
	}
	resp, _ = get(t, ts.URL+"/u/..%2Fetc/call?ts=0001-01-01T00:00:00Z")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a bad user is a 400 whatever the ts")
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/record"
)

// writeIn appends e to the day file named file of e's user, whatever e's
// ts: a writer batching across midnight puts a line in the file of the
// other day.
func writeIn(t *testing.T, root, file string, e record.Entry) {
	t.Helper()
	dir := filepath.Join(root, e.User, "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	f, err := os.OpenFile(filepath.Join(dir, file+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Write(append(e.AppendJSON(nil), '\n'))
	require.NoError(t, err)
}

// TestStatsPageAgreesWithCommand: the web view's stats and toolaudit stats
// count the same calls of a day, also lines near midnight written to the
// other day's file. The page counted by file name, without the margin day.
func TestStatsPageAgreesWithCommand(t *testing.T) {
	root := t.TempDir()
	y, m, d := now.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	today, yesterday := midnight.Format("2006-01-02"), midnight.AddDate(0, 0, -1).Format("2006-01-02")
	e := func(ts time.Time) record.Entry {
		return record.Entry{Time: ts, User: "amy", Tool: "search", Args: json.RawMessage(`{}`), Status: record.StatusOK, Duration: time.Millisecond}
	}
	writeIn(t, root, today, e(midnight.Add(-time.Minute)))    // yesterday's call, in today's file
	writeIn(t, root, yesterday, e(midnight.Add(time.Minute))) // today's call, in yesterday's file
	writeIn(t, root, today, e(midnight.Add(time.Hour)))

	r := runCmd(t, false, nil, "--root", root, "stats", "--days", "1", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var s struct{ Calls int }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	assert.Equal(t, 2, s.Calls)

	ts := serveApp(t, root, serveOptions{}, nil)
	resp, body := get(t, ts.URL+"/stats?days=1")
	require.Equal(t, 200, resp.StatusCode, body)
	assert.Contains(t, body, fmt.Sprintf(`<p class="sub" id="stats-total">%d calls`, s.Calls))
}

// TestStatsPageBoundsToolRows: a file naming 5,000 different tools (their
// names are the writer's, so an attacker's) draws 20 tools and one row
// for the rest, in the table and in the chart.
func TestStatsPageBoundsToolRows(t *testing.T) {
	root := t.TempDir()
	for i := range 5000 {
		writeIn(t, root, now.Format("2006-01-02"), record.Entry{Time: now.Add(-time.Minute), User: "amy",
			Tool: fmt.Sprintf("tool%04d", i), Args: json.RawMessage(`{}`), Status: record.StatusOK, Duration: time.Millisecond})
	}
	ts := serveApp(t, root, serveOptions{}, nil)
	resp, body := get(t, ts.URL+"/stats?days=1")
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 21, strings.Count(body, `<td class="tool">`), "table rows")
	assert.Contains(t, body, "(4980 other tools)")
	assert.Less(t, len(body), 64<<10, "the page stays small")
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
)

// now is the tests' clock: today at 15:00, so entries hours old never fall
// on yesterday's file, whatever time the tests run.
var (
	now   = func() time.Time { y, m, d := time.Now().Date(); return time.Date(y, m, d, 15, 0, 0, 0, time.Local) }()
	today = now.Format("2006-01-02")
)

// tree writes a generated audit tree and returns its root.
func tree(t *testing.T, entries ...record.Entry) string {
	t.Helper()
	root := t.TempDir()
	for _, e := range entries {
		dir := filepath.Join(root, e.User, "tool_audit")
		require.NoError(t, os.MkdirAll(dir, 0o700))
		f, err := os.OpenFile(filepath.Join(dir, e.Time.Format("2006-01-02")+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		require.NoError(t, err)
		_, err = f.Write(append(e.AppendJSON(nil), '\n'))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	return root
}

// entry is a call of tool that ended ago; ms < 0 means a line without
// duration_ms, as the reference writes.
func entry(user, tool string, status record.Status, ago time.Duration, ms int) record.Entry {
	d := time.Duration(ms) * time.Millisecond
	if ms < 0 {
		d = record.NoDuration
	}
	return record.Entry{
		Time: now.Add(-ago), User: user, Engine: "anthropic", Model: "claude", Tool: tool,
		Args: json.RawMessage(`{"q":"` + tool + ` query"}`), Status: status, ResultChars: 5, ResultSnippet: "res " + tool,
		Duration: d,
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, terminal bool, envv map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, env{
		stdout: &out, stderr: &errb, isTerminal: terminal, width: 200,
		getenv: func(k string) string { return envv[k] }, now: func() time.Time { return now },
	})
	return result{code, out.String(), errb.String()}
}

func sample(t *testing.T) string {
	return tree(t,
		entry("alice", "search", record.StatusOK, 3*time.Hour, 10),
		entry("alice", "shell", record.StatusDenied, 2*time.Hour, 1),
		entry("bob", "search", record.StatusError, 90*time.Minute, 30),
		entry("bob", "fetch_url", record.StatusOK, time.Hour, 20),
		entry("alice", "search", record.StatusOK, 30*time.Minute, 40),
		entry("alice", "old", record.StatusOK, 10*24*time.Hour, 1),
	)
}

func jsonTools(t *testing.T, out string) []string {
	t.Helper()
	var tools []string
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var e record.Entry
		require.NoError(t, json.Unmarshal([]byte(l), &e), l)
		tools = append(tools, e.User+":"+e.Tool)
	}
	return tools
}

func TestRecent(t *testing.T) {
	root := sample(t)
	r := runCmd(t, false, nil, "--root", root, "recent")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []string{"alice:search", "bob:fetch_url", "bob:search", "alice:shell", "alice:search"}, jsonTools(t, r.stdout), "all users newest first, json when piped, 7 days")

	r = runCmd(t, false, nil, "recent", "alice", "--root", root, "--limit", "2")
	assert.Equal(t, []string{"alice:search", "alice:shell"}, jsonTools(t, r.stdout), "global flag after the command")

	r = runCmd(t, false, nil, "--root", root, "recent", "--days", "30", "--user", "alice")
	assert.Equal(t, []string{"alice:search", "alice:shell", "alice:search", "alice:old"}, jsonTools(t, r.stdout))

	filters := map[string][]string{
		"--status=error,denied":   {"bob:search", "alice:shell"},
		"--tool=*_url":            {"bob:fetch_url"},
		"--grep=FETCH":            {"bob:fetch_url"},
		"--since=100m":            {"alice:search", "bob:fetch_url", "bob:search"},
		"--until=100m":            {"alice:shell", "alice:search"},
		"--engine=openai":         nil,
		"--model=claude":          {"alice:search", "bob:fetch_url", "bob:search", "alice:shell", "alice:search"},
		"--since=" + today:        {"alice:search", "bob:fetch_url", "bob:search", "alice:shell", "alice:search"},
		"--status=ok --tool=sea*": {"alice:search", "alice:search"},
	}
	for f, want := range filters {
		args := append([]string{"--root", root, "recent"}, strings.Fields(f)...)
		r := runCmd(t, false, nil, args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, want, jsonTools(t, r.stdout), f)
	}
	// Lines are the file's lines: piping -o json back reads the same entries.
	r = runCmd(t, false, nil, "--root", root, "recent", "bob", "-o", "json")
	b, err := os.ReadFile(filepath.Join(root, "bob", "tool_audit", today+".jsonl"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, lines[1]+"\n"+lines[0]+"\n", r.stdout)
}

func TestTableAndCSV(t *testing.T) {
	root := sample(t)
	r := runCmd(t, true, nil, "--root", root, "recent", "bob")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	assert.Contains(t, lines[0], "\x1b[1mTIME", "table on a terminal, header bold")
	assert.Contains(t, lines[1], "bob           fetch_url         \x1b[32mok    \x1b[0m")
	assert.Contains(t, lines[2], "\x1b[31merror \x1b[0m")
	assert.Contains(t, lines[2], `{"q":"search query"} → res search`)

	for _, noColor := range []struct {
		env  map[string]string
		args []string
	}{{map[string]string{"NO_COLOR": "1"}, nil}, {nil, []string{"--no-color"}}} {
		r = runCmd(t, true, noColor.env, append([]string{"--root", root, "recent", "bob"}, noColor.args...)...)
		assert.NotContains(t, r.stdout, "\x1b[")
		assert.Contains(t, r.stdout, "fetch_url         ok    ")
	}

	r = runCmd(t, false, nil, "--root", root, "day", "bob", today, "-o", "csv")
	require.Equal(t, 0, r.code, r.stderr)
	rows := strings.Split(strings.TrimSpace(r.stdout), "\n")
	assert.Equal(t, "ts,user,engine,model,tool,args,status,result_chars,result_snippet,duration_ms,trace_id,span_id,call_id", rows[0])
	require.Len(t, rows, 3)
	assert.Contains(t, rows[1], `,bob,anthropic,claude,search,"{""q"":""search query""}",error,5,res search,30,`)

	// Long text is cut to the terminal's width.
	long := entry("carl", "t", record.StatusOK, time.Minute, 1)
	long.Args = json.RawMessage(`{"x":"` + strings.Repeat("y", 500) + `"}`)
	r = runCmd(t, true, nil, "--root", tree(t, long), "recent", "--no-color")
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		assert.LessOrEqual(t, len([]rune(l)), 200, l)
	}
	assert.Contains(t, r.stdout, "…")
}

func TestTerminalEscapesAreHarmless(t *testing.T) {
	evil := entry("mallory", "x\x1b]0;pwned\x07", record.StatusOK, time.Minute, 1)
	evil.Args = json.RawMessage(`{"cmd":"\u001b[2J\u001b[31mred\u009b1m","bidi":"\u202egnp.exe"}`)
	evil.ResultSnippet = "done\r\x1b[Kfake line\u2028\u202e"
	root := tree(t, evil)
	for _, format := range []string{"table", "csv", "json"} {
		r := runCmd(t, true, nil, "--root", root, "recent", "-o", format, "--no-color")
		require.Equal(t, 0, r.code, r.stderr)
		for _, bad := range []string{"\x1b", "\x07", "\r", "\u009b", "\u202e", "\u2028"} {
			assert.NotContains(t, r.stdout, bad, "%s output holds %q", format, bad)
		}
		if format != "json" {
			assert.Contains(t, r.stdout, `x\x1b]0;pwned`, format)
			assert.Contains(t, r.stdout, `done\x0d\x1b[Kfake line\u2028\u202e`, format)
		}
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	e := entry("dora", "=HYPERLINK(\"http://x\")", record.StatusOK, time.Minute, 1)
	r := runCmd(t, false, nil, "--root", tree(t, e), "recent", "-o", "csv")
	assert.Contains(t, r.stdout, `"'=HYPERLINK(""http://x"")"`)
}

func TestDayAndUsers(t *testing.T) {
	root := sample(t)
	r := runCmd(t, false, nil, "--root", root, "day", "alice", today)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []string{"alice:search", "alice:shell", "alice:search"}, jsonTools(t, r.stdout), "chronological")

	r = runCmd(t, false, nil, "--root", root, "users")
	require.Equal(t, 0, r.code, r.stderr)
	var rows []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(r.stdout), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		rows = append(rows, m)
	}
	require.Len(t, rows, 2)
	assert.Equal(t, "alice", rows[0]["user"])
	assert.Equal(t, 2.0, rows[0]["days"])
	last := entry("alice", "search", record.StatusOK, 30*time.Minute, 40).Time
	assert.Equal(t, last.Format(record.TimeLayout), rows[0]["last_entry"])
	r = runCmd(t, true, nil, "--root", root, "users")
	assert.Contains(t, r.stdout, "alice                     2  ")
}

func TestStats(t *testing.T) {
	root := sample(t)
	r := runCmd(t, false, nil, "--root", root, "stats", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var s summary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	assert.Equal(t, 5, s.Calls, "the 10-day-old call is outside the 7 days")
	assert.InDelta(t, 0.2, s.ErrorRate, 1e-9)
	assert.InDelta(t, 0.2, s.DenialRate, 1e-9)
	require.NotEmpty(t, s.Tools)
	assert.Equal(t, "search", s.Tools[0].Tool)
	assert.Equal(t, 3, s.Tools[0].Calls)
	assert.Equal(t, 1, s.Tools[0].Errors)
	require.NotNil(t, s.Tools[0].P50)
	assert.Equal(t, 30.0, *s.Tools[0].P50)
	assert.Equal(t, 40.0, *s.Tools[0].P95)
	assert.Equal(t, 40.0, *s.Tools[0].Max)
	assert.Equal(t, []count{{"alice", 3}, {"bob", 2}}, s.Users)
	assert.Equal(t, []count{{"ok", 3}, {"denied", 1}, {"error", 1}}, s.Statuses)
	assert.Len(t, s.Days, 7)

	r = runCmd(t, true, nil, "--root", root, "stats", "--days", "30", "--no-color")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "6 calls")
	assert.Contains(t, r.stdout, "CALLS PER DAY")
	assert.Regexp(t, today+` █{40} \d`, r.stdout, "the busiest day has the longest bar")

	r = runCmd(t, false, nil, "--root", root, "stats", "--user", "bob", "-o", "csv")
	assert.Equal(t, "tool,calls,errors,denied,p50_ms,p95_ms,max_ms\nfetch_url,1,0,0,20.0,20.0,20.0\nsearch,1,1,0,30.0,30.0,30.0\n", r.stdout)

	// An empty result in CSV is still a table with its columns.
	r = runCmd(t, false, nil, "--root", root, "recent", "nobody", "-o", "csv")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, strings.Join(csvHeader, ",")+"\n", r.stdout)

	// A period without calls: empty lists are [] in JSON, which jq and
	// friends iterate over, not null.
	r = runCmd(t, false, nil, "--root", t.TempDir(), "stats", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	for _, key := range []string{"tools", "statuses", "users", "engines_models"} {
		assert.Contains(t, r.stdout, `"`+key+`":[]`, key)
	}
}

func TestFollowPrintsAppendedLines(t *testing.T) {
	root := sample(t)
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--root", root, "follow", "--poll", "5ms", "--status", "error"}, env{
			stdout: &out, stderr: &out, getenv: func(string) string { return "" }, now: func() time.Time { return now },
		})
	}()
	time.Sleep(50 * time.Millisecond)
	path := filepath.Join(root, "bob", "tool_audit", today+".jsonl")
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 5 {
			st := record.StatusOK
			if i%2 == 0 {
				st = record.StatusError
			}
			e := entry("bob", fmt.Sprintf("live%d", i), st, 0, 1)
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Error(err)
				return
			}
			f.Write(append(e.AppendJSON(nil), '\n'))
			f.Close()
			time.Sleep(10 * time.Millisecond)
		}
	})
	wg.Wait()
	require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") >= 3 }, 5*time.Second, 10*time.Millisecond)
	cancel()
	assert.Equal(t, 0, <-done, "interrupting follow is a normal end")
	assert.Equal(t, []string{"bob:live0", "bob:live2", "bob:live4"}, jsonTools(t, out.String()))
}

// TestFollowWaitsForMissingRoot follows a root that does not exist yet, as
// when follow starts before the agent: it says so once on stderr, then
// prints the entries once the files appear.
func TestFollowWaitsForMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "home")
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--root", root, "follow", "--poll", "5ms"}, env{
			stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: func() time.Time { return now },
		})
	}()
	require.Eventually(t, func() bool { return strings.Contains(errb.String(), "does not exist") }, 5*time.Second, 5*time.Millisecond)
	assert.Contains(t, errb.String(), "waiting for it")
	dir := filepath.Join(root, "carol", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	f, err := os.OpenFile(filepath.Join(dir, today+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	// follow prints what is appended after its first look at a file: append
	// until a line shows, whenever that first look happens.
	e := entry("carol", "late", record.StatusOK, 0, 1)
	require.Eventually(t, func() bool {
		_, err := f.Write(append(e.AppendJSON(nil), '\n'))
		require.NoError(t, err)
		time.Sleep(10 * time.Millisecond)
		return strings.Contains(out.String(), `"tool":"late"`)
	}, 5*time.Second, time.Millisecond)
	cancel()
	assert.Equal(t, 0, <-done)
	assert.Equal(t, 1, strings.Count(errb.String(), "\n"), "one line on stderr: %q", errb.String())
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestExitCodesAndHelp(t *testing.T) {
	root := sample(t)
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	missing := filepath.Join(t.TempDir(), "nosuch")
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"nosuch"}, 2, `unknown command "nosuch"`},
		{[]string{"recent", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"day", "alice"}, 2, "takes 2 arguments, got 1"},
		{[]string{"recent", "-o", "xml"}, 2, `unknown output format "xml"`},
		{[]string{"recent", "../etc"}, 1, `invalid user name "../etc"`},
		{[]string{"day", "alice", "2026-02-30"}, 1, `invalid day "2026-02-30"`},
		{[]string{"recent", "--since", "yesterday"}, 1, `invalid --since: "yesterday" is not a date`},
		{[]string{"recent", "--status", "fine"}, 1, `invalid --status "fine"`},
		{[]string{"--root", notADir, "users"}, 1, "is not a folder"},
		{[]string{"--root", missing, "users"}, 1, "does not exist (set --root or $TOOLAUDIT_ROOT)"},
		{[]string{"--root", missing, "recent"}, 1, "does not exist"},
		{[]string{"--root", missing, "day", "alice", today}, 1, "does not exist"},
		{[]string{"--root", missing, "stats"}, 1, "does not exist"},
		{[]string{"stats", "--days", "0"}, 1, "--days must be at least 1"},
	}
	for _, tt := range tests {
		r := runCmd(t, false, nil, append([]string{"--root", root}, tt.args...)...)
		assert.Equal(t, tt.code, r.code, "%v: %s", tt.args, r.stderr)
		assert.Contains(t, r.stderr, tt.stderr, tt.args)
		assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line on stderr: %q", r.stderr)
	}
	for _, cmd := range []string{"users", "recent", "day", "follow", "stats"} {
		r := runCmd(t, false, nil, cmd, "--help")
		assert.Equal(t, 0, r.code)
		assert.Contains(t, r.stdout, "Examples:", cmd)
	}
	r := runCmd(t, false, nil, "--version")
	assert.Equal(t, "toolaudit version "+toolaudit.Version+"\n", r.stdout)
	r = runCmd(t, false, map[string]string{"TOOLAUDIT_ROOT": root}, "users")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, `"user":"alice"`, "$TOOLAUDIT_ROOT is the default root")
}

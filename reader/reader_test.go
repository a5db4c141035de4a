package reader_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

var (
	loc = time.FixedZone("UTC+1", 3600)
	now = time.Date(2026, 11, 27, 15, 0, 0, 0, loc)
	ctx = context.Background()
)

func newReader(root string) *reader.Reader {
	return reader.New(root, reader.WithLocation(loc), reader.WithClock(func() time.Time { return now }))
}

func line(user, tool string, ts time.Time) string {
	e := record.Entry{Time: ts, User: user, Tool: tool, Args: json.RawMessage(`{}`), Status: record.StatusOK}
	return string(e.AppendJSON(nil))
}

func writeDay(t *testing.T, root, user, day string, lines ...string) {
	t.Helper()
	dir := filepath.Join(root, user, "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	content := ""
	for _, l := range lines {
		content += l + "\n"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, day+".jsonl"), []byte(content), 0o600))
}

func tools(es []record.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Tool)
	}
	return out
}

func at(day string, h, m int) time.Time {
	d, _ := time.ParseInLocation("2006-01-02", day, loc)
	return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func TestRecentOrderLimitDays(t *testing.T) {
	root := t.TempDir()
	writeDay(t, root, "alice", "2026-11-27", line("alice", "t1", at("2026-11-27", 9, 0)), "", "not json", `{"ts":`, line("alice", "t2", at("2026-11-27", 10, 0)))
	writeDay(t, root, "alice", "2026-11-26", line("alice", "y1", at("2026-11-26", 9, 0)), line("alice", "y2", at("2026-11-26", 10, 0)))
	writeDay(t, root, "alice", "2026-11-20", line("alice", "old", at("2026-11-20", 9, 0)))
	writeDay(t, root, "alice", "2026-11-21", line("alice", "week", at("2026-11-21", 9, 0)))
	writeDay(t, root, "alice", "2026-11-28", line("alice", "future", at("2026-11-28", 9, 0)))
	r := newReader(root)

	got, err := reader.Collect(r.Recent(ctx, "alice", reader.Query{}))
	require.NoError(t, err)
	assert.Equal(t, []string{"t2", "t1", "y2", "y1", "week"}, tools(got), "7 days counting today, newest first, malformed skipped")

	got, err = reader.Collect(r.Recent(ctx, "alice", reader.Query{Days: 1}))
	require.NoError(t, err)
	assert.Equal(t, []string{"t2", "t1"}, tools(got))

	got, err = reader.Collect(r.Recent(ctx, "alice", reader.Query{Days: 8, Limit: 3}))
	require.NoError(t, err)
	assert.Equal(t, []string{"t2", "t1", "y2"}, tools(got))

	got, err = reader.Collect(r.Recent(ctx, "alice", reader.Query{Days: 8, Limit: 100}))
	require.NoError(t, err)
	assert.Equal(t, []string{"t2", "t1", "y2", "y1", "week", "old"}, tools(got))

	got, err = reader.Collect(r.Recent(ctx, "nobody", reader.Query{}))
	require.NoError(t, err)
	assert.Empty(t, got, "a missing user is an empty result")

	_, err = reader.Collect(reader.New(filepath.Join(root, "missing")).Recent(ctx, "alice", reader.Query{}))
	require.NoError(t, err, "a missing root is an empty result")

	_, err = reader.Collect(r.Recent(ctx, "alice", reader.Query{Days: -1}))
	require.ErrorIs(t, err, reader.ErrInvalidQuery)
}

func TestDay(t *testing.T) {
	root := t.TempDir()
	writeDay(t, root, "bob", "2026-11-26", line("bob", "a", at("2026-11-26", 9, 0)), "  ", "{}", line("bob", "b", at("2026-11-26", 8, 0)))
	r := newReader(root)
	got, err := reader.Collect(r.Day(ctx, "bob", "2026-11-26"))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "", "b"}, tools(got), "file order; {} is a valid (empty) entry as in the reference")

	got, err = reader.Collect(r.Day(ctx, "bob", "2026-11-25"))
	require.NoError(t, err)
	assert.Empty(t, got)

	for _, day := range []string{"2026-02-30", "26-11-2026", "../../x", "2026-11-26.jsonl", ""} {
		_, err = reader.Collect(r.Day(ctx, "bob", day))
		require.ErrorIs(t, err, reader.ErrInvalidDay, day)
	}
	for _, user := range []string{"", "..", ".hidden", "a/b", "ü", strings.Repeat("a", 65)} {
		_, err = reader.Collect(r.Day(ctx, user, "2026-11-26"))
		require.ErrorIs(t, err, reader.ErrInvalidUser, user)
	}
}

func TestIterDayStops(t *testing.T) {
	root := t.TempDir()
	var lines []string
	for i := range 100 {
		lines = append(lines, line("c", fmt.Sprint(i), at("2026-11-27", 0, i)))
	}
	writeDay(t, root, "c", "2026-11-27", lines...)
	n := 0
	for e, err := range newReader(root).Day(ctx, "c", "2026-11-27") {
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(n), e.Tool)
		if n++; n == 10 {
			break
		}
	}
	assert.Equal(t, 10, n)
}

func TestUsersAndDays(t *testing.T) {
	root := t.TempDir()
	writeDay(t, root, "zed", "2026-11-27", line("zed", "x", at("2026-11-27", 1, 0)))
	writeDay(t, root, "amy", "2026-11-20", line("amy", "x", at("2026-11-20", 1, 0)))
	writeDay(t, root, "amy", "2026-11-27", line("amy", "x", at("2026-11-27", 1, 0)))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "empty", "tool_audit"), 0o700))
	require.NoError(t, os.MkdirAll(filepath.Join(root, ".git"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(root, "file"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(root, "amy", "tool_audit", "notes.txt"), nil, 0o600))
	// A user whose tool_audit is a file, not a folder, has no days.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bea"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(root, "bea", "tool_audit"), []byte("x"), 0o600))
	r := newReader(root)
	users, err := r.Users(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"amy", "zed"}, users)
	days, err := r.Days(ctx, "amy")
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-11-20", "2026-11-27"}, days)
	days, err = r.Days(ctx, "bea")
	require.NoError(t, err)
	assert.Empty(t, days)
}

func TestRecentAllMergesByTime(t *testing.T) {
	root := t.TempDir()
	// bob's lines carry offsets; carol's are the reference's naive local
	// time: they must sort as times, not strings.
	writeDay(t, root, "bob", "2026-11-27",
		line("bob", "b1", at("2026-11-27", 9, 0).UTC()), // 08:00Z = 09:00 local
		line("bob", "b2", at("2026-11-27", 11, 0).UTC()))
	writeDay(t, root, "carol", "2026-11-27",
		`{"ts": "2026-11-27T08:30:00", "user": "carol", "tool": "c1", "args": {}, "status": "ok", "result_chars": 0, "result_snippet": ""}`,
		`{"ts": "2026-11-27T10:00:00", "user": "carol", "tool": "c2", "args": {}, "status": "ok", "result_chars": 0, "result_snippet": ""}`)
	writeDay(t, root, "amy", "2026-11-26", line("amy", "a0", at("2026-11-26", 23, 0)))
	writeDay(t, root, "amy", "2026-11-27", line("amy", "a1", at("2026-11-27", 11, 0)))
	require.NoError(t, os.WriteFile(filepath.Join(root, "not-a-user-folder"), nil, 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "nofiles"), 0o700))
	r := newReader(root)
	got, err := reader.Collect(r.RecentAll(ctx, reader.Query{}))
	require.NoError(t, err)
	assert.Equal(t, []string{"a1", "b2", "c2", "b1", "c1", "a0"}, tools(got), "ties go to the first user by name")

	got, err = reader.Collect(r.RecentAll(ctx, reader.Query{Limit: 2}))
	require.NoError(t, err)
	assert.Equal(t, []string{"a1", "b2"}, tools(got))
}

// TestRecentAllMatchesNaive checks the merge against the reference
// algorithm (each user's Limit recent entries, all sorted by time, equal
// times in that order) on random data. Lines are mostly in time order, as
// writers append them, but some are up to a second out of it (a line that
// ended a moment before another is appended after it: at whole seconds, a
// step back of one second), and many share a second.
func TestRecentAllMatchesNaive(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { recentAllMatchesNaive(t, seed) })
	}
}

func recentAllMatchesNaive(t *testing.T, seed uint64) {
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(1, seed))
	for u := range 40 {
		user := fmt.Sprintf("user%02d", u)
		for d := range 4 {
			day := now.AddDate(0, 0, -d).Format("2006-01-02")
			var lines []string
			base := at(day, 0, 0).Add(time.Duration(1+rng.IntN(5)) * time.Second)
			for i := range rng.IntN(30) {
				base = base.Add(time.Duration(rng.IntN(4)) * time.Second)
				ts := base
				if rng.IntN(3) == 0 {
					ts = ts.Add(-time.Second) // out of order
				}
				lines = append(lines, line(user, fmt.Sprintf("%s-%s-%d", user, day, i), ts))
			}
			writeDay(t, root, user, day, lines...)
		}
	}
	r := newReader(root)
	for _, q := range []reader.Query{{Days: 1, Limit: 10}, {Days: 3, Limit: 50}, {Days: 2, Limit: 3}, {Days: 7, Limit: 5000}} {
		got, err := reader.Collect(r.RecentAll(ctx, q))
		require.NoError(t, err)
		users, err := r.Users(ctx)
		require.NoError(t, err)
		var naive []record.Entry
		for _, u := range users {
			es, err := reader.Collect(r.Recent(ctx, u, q))
			require.NoError(t, err)
			naive = append(naive, es...)
		}
		slices.SortStableFunc(naive, func(a, b record.Entry) int { return b.Time.Compare(a.Time) })
		naive = naive[:min(len(naive), q.Limit)]
		assert.Equal(t, tools(naive), tools(got), "%+v", q)

		// The iterator has no limit per user: its first Limit entries are
		// the newest of all, in the same order.
		var iterated []record.Entry
		for e, err := range r.RecentAll(ctx, reader.Query{Days: q.Days, Limit: -1}) {
			require.NoError(t, err)
			if iterated = append(iterated, e); len(iterated) == q.Limit {
				break
			}
		}
		all, err := reader.Collect(r.RecentAll(ctx, reader.Query{Days: q.Days, Limit: 1 << 20}))
		require.NoError(t, err)
		assert.Equal(t, tools(all[:min(len(all), q.Limit)]), tools(iterated), "%+v", q)
	}
}

func TestSymlinkOutsideRootRefused(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	writeDay(t, outside, "victim", "2026-11-27", line("victim", "secret", at("2026-11-27", 1, 0)))
	require.NoError(t, os.Symlink(filepath.Join(outside, "victim"), filepath.Join(root, "eve")))
	r := newReader(root)
	got, err := reader.Collect(r.Day(ctx, "eve", "2026-11-27"))
	require.Error(t, err)
	assert.Empty(t, got)
	_, err = reader.Collect(r.Recent(ctx, "eve", reader.Query{}))
	require.Error(t, err)
}

func TestLongAndTornLines(t *testing.T) {
	root := t.TempDir()
	long := `{"tool":"long","args":{"x":"` + strings.Repeat("y", 300<<10) + `"}}`
	dir := filepath.Join(root, "dan", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	content := line("dan", "first", at("2026-11-27", 1, 0)) + "\n" + long + "\n" + line("dan", "last", at("2026-11-27", 2, 0)) + "\n" + `{"ts":"2026-11-27T03:00:00+01:00","tool":"tor`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-11-27.jsonl"), []byte(content), 0o600))

	small := reader.New(root, reader.WithLocation(loc), reader.WithClock(func() time.Time { return now }), reader.WithMaxLineBytes(100<<10))
	got, err := reader.Collect(small.Recent(ctx, "dan", reader.Query{}))
	require.NoError(t, err)
	assert.Equal(t, []string{"last", "first"}, tools(got), "the over-long line and the torn line are skipped")
	got, err = reader.Collect(small.Day(ctx, "dan", "2026-11-27"))
	require.NoError(t, err)
	assert.Equal(t, []string{"first", "last"}, tools(got))

	got, err = reader.Collect(newReader(root).Recent(ctx, "dan", reader.Query{}))
	require.NoError(t, err)
	assert.Equal(t, []string{"last", "long", "first"}, tools(got), "within the default limit the long line is read")
	got, err = reader.Collect(newReader(root).Day(ctx, "dan", "2026-11-27"))
	require.NoError(t, err)
	assert.Equal(t, []string{"first", "long", "last"}, tools(got))
}

// TestBackwardMatchesForward compares the two line scanners on random files
// with lines around the block size.
func TestBackwardMatchesForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 8 {
		root := t.TempDir()
		var lines []string
		for i := range rng.IntN(100) + 1 {
			e := record.Entry{Time: at("2026-11-27", 0, 0).Add(time.Duration(i) * time.Second), Tool: fmt.Sprint(i),
				Args: json.RawMessage(`{"p":"` + strings.Repeat("é", rng.IntN(70<<10)>>rng.IntN(12)) + `"}`)}
			lines = append(lines, string(e.AppendJSON(nil)))
		}
		writeDay(t, root, "u", "2026-11-27", lines...)
		r := newReader(root)
		fwd, err := reader.Collect(r.Day(ctx, "u", "2026-11-27"))
		require.NoError(t, err)
		back, err := reader.Collect(r.Recent(ctx, "u", reader.Query{Days: 1, Limit: 1 << 20}))
		require.NoError(t, err)
		slices.Reverse(back)
		require.Equal(t, tools(fwd), tools(back), "trial %d", trial)
		require.Len(t, fwd, len(lines))
	}
}

// TestReadsReferenceFiles has the Python reference module write files and
// reads them back.
func TestReadsReferenceFiles(t *testing.T) {
	seed := seedDir(t)
	root := t.TempDir()
	script := `
import asyncio, tool_audit as t
t.set_context("anthropic", "claude")
async def main():
    await t.record("alice", "search", {"q": "café 😀", "long": "x" * 600}, "ok", "résultat " * 50)
    await t.record("alice", "shell", {"cmd": "rm"}, "denied", "no")
    await t.record("bob", "fetch", {}, "error", "timeout")
asyncio.run(main())
`
	runPython(t, seed, root, script)
	r := reader.New(root)
	got, err := reader.Collect(r.Recent(ctx, "alice", reader.Query{}))
	require.NoError(t, err)
	require.Equal(t, []string{"shell", "search"}, tools(got))
	s := got[1]
	assert.Equal(t, "alice", s.User)
	assert.Equal(t, "anthropic", s.Engine)
	assert.Equal(t, "claude", s.Model)
	assert.Equal(t, record.StatusOK, s.Status)
	assert.Equal(t, 450, s.ResultChars)
	assert.Equal(t, string([]rune(strings.Repeat("résultat ", 50))[:300]), s.ResultSnippet)
	var args map[string]string
	require.NoError(t, json.Unmarshal(s.Args, &args))
	assert.Equal(t, "café 😀", args["q"])
	assert.Equal(t, strings.Repeat("x", 500)+" …[600 chars total]", args["long"], "the Go truncation matches the reference's")
	assert.WithinDuration(t, time.Now(), s.Time, time.Minute, "naive local ts read as local time")

	all, err := reader.Collect(r.RecentAll(ctx, reader.Query{}))
	require.NoError(t, err)
	assert.Len(t, all, 3)
	day, err := reader.Collect(r.Day(ctx, "bob", time.Now().Format("2006-01-02")))
	require.NoError(t, err)
	require.Len(t, day, 1)
	assert.Equal(t, record.StatusError, day[0].Status)
}

func seedDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found: cannot run the reference module")
	}
	seed, err := filepath.Abs(filepath.Join("..", "..", "shared", "seed"))
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(seed, "tool_audit.py")); err != nil {
		t.Skipf("reference module not found at %s", seed)
	}
	return seed
}

func runPython(t *testing.T, seed, root, script string) string {
	t.Helper()
	cmd := exec.Command("python3", "-c", script)
	cmd.Dir = seed
	cmd.Env = append(os.Environ(), "AUDIT_HOME="+root, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

// TestRecentAllReportsAFailingUser checks that an error met while the
// users' streams are opened in parallel is reported beside the other
// users' entries, for any position of the failing user among many.
func TestRecentAllReportsAFailingUser(t *testing.T) {
	for _, bad := range []int{0, 17, 39} {
		root := t.TempDir()
		today := now.Format("2006-01-02")
		for u := range 40 {
			user := fmt.Sprintf("user%02d", u)
			if u == bad {
				// A folder where the day file should be: not a regular file.
				require.NoError(t, os.MkdirAll(filepath.Join(root, user, "tool_audit", today+".jsonl"), 0o700))
				continue
			}
			writeDay(t, root, user, today, line(user, "t", at(today, 1, 0)))
		}
		got, err := reader.Collect(newReader(root).RecentAll(ctx, reader.Query{}))
		require.Error(t, err, "bad user %d", bad)
		assert.Contains(t, err.Error(), fmt.Sprintf("user%02d", bad))
		assert.Len(t, got, 39, "the other users' entries come back")
	}
}

// TestRecentAllLinesOutOfOrder checks the merge on lines that are not in
// time order in their file: within the disorder allowed the result is the
// reference's, beyond it RecentAll still sorts what it returns.
func TestRecentAllLinesOutOfOrder(t *testing.T) {
	root := t.TempDir()
	// amy's a2 was appended after a1 but ended a moment before it, in the
	// second before: reading amy backwards meets a2 first.
	writeDay(t, root, "amy", "2026-11-27",
		line("amy", "a1", at("2026-11-27", 10, 0).Add(time.Second)),
		line("amy", "a2", at("2026-11-27", 10, 0)))
	// bob's last line has no valid ts: it sorts last, and does not stop
	// the merge from reading ahead past it.
	writeDay(t, root, "bob", "2026-11-27",
		line("bob", "b1", at("2026-11-27", 10, 0).Add(time.Second)),
		`{"ts": "never", "user": "bob", "tool": "b0", "args": {}, "status": "ok", "result_chars": 0, "result_snippet": ""}`)
	// cat's c2 is five seconds out of order, more than the default allows.
	writeDay(t, root, "cat", "2026-11-26",
		line("cat", "c1", at("2026-11-26", 10, 0).Add(5*time.Second)),
		line("cat", "c2", at("2026-11-26", 10, 0)))
	writeDay(t, root, "dan", "2026-11-26", line("dan", "d1", at("2026-11-26", 10, 0).Add(3*time.Second)))

	// What the reference returns: each user's Limit newest in reverse file
	// order, sorted by ts, equal ts by user then that order. (Except for
	// b0: the reference compares ts as strings and puts "never" first.)
	r := newReader(root)
	for limit, want := range map[int][]string{0: {"a1", "b1", "a2", "b0"}, 2: {"a1", "b1"}, 1: {"a2"}} {
		got, err := reader.Collect(r.RecentAll(ctx, reader.Query{Days: 1, Limit: limit}))
		require.NoError(t, err)
		assert.Equal(t, want, tools(got), "limit %d", limit)
	}
	var iterated []record.Entry
	for e, err := range r.RecentAll(ctx, reader.Query{Days: 1, Limit: -1}) {
		require.NoError(t, err)
		iterated = append(iterated, e)
	}
	assert.Equal(t, []string{"a1", "b1", "a2", "b0"}, tools(iterated))

	// Trusting the file order, as the merge did before it read ahead.
	trusting := reader.New(root, reader.WithLocation(loc), reader.WithClock(func() time.Time { return now }), reader.WithMaxDisorder(0))
	iterated = iterated[:0]
	for e, err := range trusting.RecentAll(ctx, reader.Query{Days: 1, Limit: -1}) {
		require.NoError(t, err)
		iterated = append(iterated, e)
	}
	assert.Equal(t, []string{"b1", "a2", "a1", "b0"}, tools(iterated), "out of time order")
	got, err := reader.Collect(trusting.RecentAll(ctx, reader.Query{Days: 1, Limit: 2}))
	require.NoError(t, err)
	assert.Equal(t, []string{"b1", "a2"}, tools(got), "a1 passed over")

	// Beyond the disorder allowed: sorted, but cat's c1 is passed over
	// when the limit is reached before it is read.
	got, err = reader.Collect(r.RecentAll(ctx, reader.Query{Days: 2}))
	require.NoError(t, err)
	assert.Equal(t, []string{"a1", "b1", "a2", "c1", "d1", "c2", "b0"}, tools(got))
	got, err = reader.Collect(r.RecentAll(ctx, reader.Query{Days: 2, Limit: 4}))
	require.NoError(t, err)
	assert.Equal(t, []string{"a1", "b1", "a2", "d1"}, tools(got))
	// Allowing it, exact again.
	patient := reader.New(root, reader.WithLocation(loc), reader.WithClock(func() time.Time { return now }), reader.WithMaxDisorder(5*time.Second))
	got, err = reader.Collect(patient.RecentAll(ctx, reader.Query{Days: 2, Limit: 4}))
	require.NoError(t, err)
	assert.Equal(t, []string{"a1", "b1", "a2", "c1"}, tools(got))
}

// TestRecentAllMatchesReference has the reference module read files whose
// lines are up to a second out of time order, as concurrent writers leave
// them, and checks that RecentAll returns what its read_recent_all_users
// does, for several limits.
func TestRecentAllMatchesReference(t *testing.T) {
	seed := seedDir(t)
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	today := time.Now()
	for u := range 12 {
		user := fmt.Sprintf("user%02d", u)
		for d := range 3 {
			day := today.AddDate(0, 0, -d)
			y, m, dd := day.Date()
			base := time.Date(y, m, dd, 8, 0, 0, 0, time.Local).Add(time.Duration(rng.IntN(20)) * time.Second)
			var lines []string
			for i := range rng.IntN(25) {
				base = base.Add(time.Duration(rng.IntN(3)) * time.Second)
				ts := base
				if rng.IntN(3) == 0 {
					ts = ts.Add(-time.Second)
				}
				lines = append(lines, line(user, fmt.Sprintf("%s-%d-%d", user, d, i), ts))
			}
			writeDay(t, root, user, day.Format("2006-01-02"), lines...)
		}
	}
	r := reader.New(root)
	for _, q := range []reader.Query{{Days: 3, Limit: 500}, {Days: 3, Limit: 40}, {Days: 2, Limit: 7}, {Days: 1, Limit: 1}} {
		out := runPython(t, seed, root, fmt.Sprintf(`
import json, tool_audit as t
print(json.dumps([e["tool"] for e in t.read_recent_all_users(days=%d, limit=%d)]))
`, q.Days, q.Limit))
		var want []string
		require.NoError(t, json.Unmarshal([]byte(out), &want), out)
		got, err := reader.Collect(r.RecentAll(ctx, q))
		require.NoError(t, err)
		require.Equal(t, want, tools(got), "%+v", q)
	}
}

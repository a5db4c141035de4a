package reader_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

func appendLine(t *testing.T, path, l string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	_, err = f.WriteString(l)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestFollow(t *testing.T) {
	root := t.TempDir()
	var clock atomic.Pointer[time.Time]
	day1 := time.Date(2026, 11, 27, 23, 59, 0, 0, loc)
	clock.Store(&day1)
	r := reader.New(root, reader.WithLocation(loc), reader.WithClock(func() time.Time { return *clock.Load() }))
	p27 := filepath.Join(root, "ann", "tool_audit", "2026-11-27.jsonl")
	p28 := filepath.Join(root, "ann", "tool_audit", "2026-11-28.jsonl")
	appendLine(t, p27, line("ann", "old", at("2026-11-27", 1, 0))+"\n")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 100)
	var wg sync.WaitGroup
	wg.Go(func() {
		for e, err := range r.Follow(ctx, 5*time.Millisecond) {
			if err != nil {
				t.Error(err)
				continue
			}
			got <- e.User + ":" + e.Tool
		}
	})
	next := func() string {
		select {
		case s := <-got:
			return s
		case <-time.After(5 * time.Second):
			t.Fatal("nothing followed")
			return ""
		}
	}
	time.Sleep(30 * time.Millisecond) // the first poll takes the files' ends
	appendLine(t, p27, line("ann", "t1", at("2026-11-27", 2, 0))+"\n")
	assert.Equal(t, "ann:t1", next(), "only what is appended after the start")

	// A line written in two pieces is yielded once whole.
	full := line("ann", "t2", at("2026-11-27", 3, 0)) + "\n"
	appendLine(t, p27, full[:20])
	time.Sleep(30 * time.Millisecond)
	appendLine(t, p27, full[20:])
	assert.Equal(t, "ann:t2", next())

	// A new user appears.
	appendLine(t, filepath.Join(root, "bo", "tool_audit", "2026-11-27.jsonl"), line("bo", "b1", at("2026-11-27", 4, 0))+"\n")
	assert.Equal(t, "bo:b1", next())

	// Truncated, then written again.
	require.NoError(t, os.Truncate(p27, 0))
	time.Sleep(30 * time.Millisecond)
	appendLine(t, p27, line("ann", "t3", at("2026-11-27", 5, 0))+"\n")
	assert.Equal(t, "ann:t3", next())

	// Deleted and recreated.
	require.NoError(t, os.Remove(p27))
	time.Sleep(30 * time.Millisecond)
	appendLine(t, p27, line("ann", "t4", at("2026-11-27", 6, 0))+"\n")
	assert.Equal(t, "ann:t4", next())

	// The day changes.
	day2 := time.Date(2026, 11, 28, 0, 0, 1, 0, loc)
	clock.Store(&day2)
	appendLine(t, p28, line("ann", "t5", at("2026-11-28", 0, 0))+"\n")
	assert.Equal(t, "ann:t5", next())

	cancel()
	wg.Wait()
	select {
	case s := <-got:
		t.Fatalf("unexpected %q", s)
	default:
	}
}

func TestFollowInvalidUser(t *testing.T) {
	r := reader.New(t.TempDir())
	for _, err := range r.Follow(context.Background(), 0, "../x") {
		require.ErrorIs(t, err, reader.ErrInvalidUser)
		return
	}
	t.Fatal("no error")
}

// TestFollowStopsQuietly follows every user with a context that is already
// done: being stopped is the normal end of Follow, not an error it yields.
func TestFollowStopsQuietly(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "alice", "tool_audit"), 0o700))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range reader.New(root).Follow(ctx, time.Millisecond) {
		t.Fatalf("yielded %v after ctx was done", err)
	}
}

// TestFollowReportsAStandingErrorOnce follows a user whose day file cannot
// be read (a folder in its place): the error is yielded once, not at every
// poll, and once the file is readable its lines come through.
func TestFollowReportsAStandingErrorOnce(t *testing.T) {
	root := t.TempDir()
	day := filepath.Join(root, "ann", "tool_audit", now.Format("2006-01-02")+".jsonl")
	require.NoError(t, os.MkdirAll(day, 0o700))
	r := newReader(root)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs, entries := 0, 0
	go func() {
		// Tens of polls of 2 ms with the error standing, then a readable file.
		time.Sleep(150 * time.Millisecond)
		assert.NoError(t, os.Remove(day))
		assert.NoError(t, os.WriteFile(day, []byte(line("ann", "late", now)+"\n"), 0o600))
	}()
	for e, err := range r.Follow(ctx, 2*time.Millisecond, "ann") {
		if err != nil {
			assert.Contains(t, err.Error(), "is not a regular file")
			errs++
			continue
		}
		assert.Equal(t, "late", e.Tool)
		entries++
		cancel()
	}
	assert.Equal(t, 1, errs, "one error for a standing fault")
	assert.Equal(t, 1, entries, "following went on")
}

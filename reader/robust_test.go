package reader_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

func TestRandomBytesFile(t *testing.T) {
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	junk := make([]byte, 1<<20)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	good := line("rob", "good", at("2026-11-27", 1, 0))
	dir := filepath.Join(root, "rob", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	content := append(append([]byte(good+"\n"), junk...), []byte("\n"+good+"\n")...)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-11-27.jsonl"), content, 0o600))
	r := newReader(root)
	got, err := reader.Collect(r.Recent(ctx, "rob", reader.Query{}))
	require.NoError(t, err)
	assert.Equal(t, []string{"good", "good"}, tools(got), "what is valid, nothing else")
	got, err = reader.Collect(r.Day(ctx, "rob", "2026-11-27"))
	require.NoError(t, err)
	assert.Equal(t, []string{"good", "good"}, tools(got))
}

// TestHugeLineBoundedMemory reads a file holding a 12 MiB line with a 1 MiB
// line limit: the line is skipped and the readers allocate a small
// fraction of it.
func TestHugeLineBoundedMemory(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "sam", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	f, err := os.Create(filepath.Join(dir, "2026-11-27.jsonl"))
	require.NoError(t, err)
	_, err = f.WriteString(line("sam", "before", at("2026-11-27", 1, 0)) + "\n" + `{"tool":"huge","args":{"x":"`)
	require.NoError(t, err)
	chunk := bytes.Repeat([]byte("y"), 1<<20)
	for range 12 {
		_, err = f.Write(chunk)
		require.NoError(t, err)
	}
	_, err = f.WriteString(`"}}` + "\n" + line("sam", "after", at("2026-11-27", 2, 0)) + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	r := reader.New(root, reader.WithLocation(loc), reader.WithClock(func() time.Time { return now }), reader.WithMaxLineBytes(1<<20))
	measure := func(read func() []string) ([]string, uint64) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got := read()
		runtime.ReadMemStats(&after)
		return got, after.TotalAlloc - before.TotalAlloc
	}
	got, alloc := measure(func() []string {
		es, err := reader.Collect(r.Recent(ctx, "sam", reader.Query{}))
		require.NoError(t, err)
		return tools(es)
	})
	assert.Equal(t, []string{"after", "before"}, got)
	assert.Less(t, alloc, uint64(16<<20), "Recent allocated %d bytes for a 12 MiB line", alloc)
	got, alloc = measure(func() []string {
		es, err := reader.Collect(r.Day(ctx, "sam", "2026-11-27"))
		require.NoError(t, err)
		return tools(es)
	})
	assert.Equal(t, []string{"before", "after"}, got)
	assert.Less(t, alloc, uint64(16<<20), "Day allocated %d bytes for a 12 MiB line", alloc)
}

// TestFileChangingWhileRead reads a file another goroutine appends to (and,
// with truncate, also truncates): nothing fails or panics, and while the
// file only grows every entry returned is whole. A file truncated under a
// reader can yield a line made of pieces of two lines; when that is valid
// JSON it is returned, since nothing in the file tells it apart.
func TestFileChangingWhileRead(t *testing.T) {
	for _, truncate := range []bool{false, true} {
		t.Run(map[bool]string{false: "growing", true: "truncated"}[truncate], func(t *testing.T) {
			testFileChanging(t, truncate)
		})
	}
}

func testFileChanging(t *testing.T, truncate bool) {
	root := t.TempDir()
	dir := filepath.Join(root, "tia", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	path := filepath.Join(dir, "2026-11-27.jsonl")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		l := line("tia", strings.Repeat("t", 100), at("2026-11-27", 1, 0)) + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		// At most 5,000 lines (about 1 MB), so the readers stay quick.
		for i := 0; i < 5000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if truncate && i%500 == 499 {
				_ = f.Truncate(int64(i % 3000))
			}
			_, _ = f.WriteString(l)
		}
	})
	r := newReader(root)
	for range 30 {
		got, err := reader.Collect(r.Recent(ctx, "tia", reader.Query{Days: 1, Limit: 50}))
		require.NoError(t, err)
		for _, e := range got {
			if !truncate {
				assert.Equal(t, strings.Repeat("t", 100), e.Tool)
			}
		}
		for e, err := range r.Day(ctx, "tia", "2026-11-27") {
			require.NoError(t, err)
			if !truncate {
				assert.Equal(t, strings.Repeat("t", 100), e.Tool)
			}
		}
	}
	close(stop)
	wg.Wait()
}

// TestSparseHoleDoesNotHang plants a terabyte hole (a sparse file: zeros,
// no newline, no disk) in one user's day file, between two lines: reads of
// that user stop at the hole with a *UserError naming the file, after the
// entries they could read, and the other users are read all the same. The
// readers scanned the terabyte before (hours, ignoring ctx).
func TestSparseHoleDoesNotHang(t *testing.T) {
	root := t.TempDir()
	writeDay(t, root, "alice", "2026-11-27", line("alice", "a1", at("2026-11-27", 9, 0)))
	dir := filepath.Join(root, "mallory", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	path := filepath.Join(dir, "2026-11-27.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(line("mallory", "m1", at("2026-11-27", 8, 0))+"\n"), 0o600))
	require.NoError(t, os.Truncate(path, 1<<40))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\n" + line("mallory", "m2", at("2026-11-27", 10, 0)) + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	r := reader.New(root, reader.WithLocation(loc), reader.WithClock(func() time.Time { return now }), reader.WithMaxLineBytes(1<<20))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := reader.Collect(r.Recent(ctx, "mallory", reader.Query{}))
	assert.Equal(t, []string{"m2"}, tools(got), "the line after the hole")
	var ue *reader.UserError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "mallory", ue.User)
	assert.Contains(t, err.Error(), "mallory/tool_audit/2026-11-27.jsonl")

	got, err = reader.Collect(r.RecentAll(ctx, reader.Query{}))
	assert.Equal(t, []string{"m2", "a1"}, tools(got))
	require.ErrorAs(t, err, &ue)
	got, err = reader.Collect(r.Day(ctx, "mallory", "2026-11-27"))
	assert.Equal(t, []string{"m1"}, tools(got), "the line before the hole")
	require.ErrorAs(t, err, &ue)
	require.NoError(t, ctx.Err(), "answered well within the minute")

	// A deadline is honoured while a hole is scanned.
	short, stop := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer stop()
	deep := reader.New(root, reader.WithLocation(loc), reader.WithClock(func() time.Time { return now }), reader.WithMaxLineBytes(1<<40))
	_, err = reader.Collect(deep.Recent(short, "mallory", reader.Query{}))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

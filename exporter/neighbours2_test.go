package exporter_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/internal/chain"
)

// TestFragmentBetweenCheckAndWrite: a writer that does not lock appends
// part of a line after the check for a torn line and before our write, so
// our first line is glued to it; the exporter sees it (the byte before its
// write is not a newline), cuts its write off, ends the fragment and
// writes again, so the lines and their links are whole. It was lost.
func TestFragmentBetweenCheckAndWrite(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	ctx := context.Background()
	once := true
	exporter.SetHookBeforeWrite(t, func(f *os.File) {
		if once {
			once = false
			_, err := f.Write([]byte(`{"ts": "2026-`))
			require.NoError(t, err)
		}
	})
	require.NoError(t, exp.ExportSpans(ctx, tracetest.SpanStubs{toolStub("amy", "first", `{}`, "ok", end, 1), toolStub("amy", "second", `{}`, "ok", end, 2)}.Snapshots()))
	require.NoError(t, exp.Shutdown(ctx))
	lines := readLines(t, filepath.Join(root, "amy", "tool_audit", "2026-03-04.jsonl"))
	require.Len(t, lines, 3)
	assert.Equal(t, `{"ts": "2026-`, lines[0], "the fragment stays, a torn line of its own")
	assert.Contains(t, lines[1], `"tool":"first"`, "written again, whole")
	assert.Contains(t, lines[2], `"tool":"second"`)
	f, err := os.Open(filepath.Join(root, "amy", "tool_audit", "2026-03-04.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	day, err := chain.Verify(context.Background(), f, chain.Options{Prev: chain.Genesis("amy")})
	require.NoError(t, err)
	assert.Zero(t, day.Fail, "the chain holds: %s", day.Reason)
	assert.Equal(t, 1, day.Torn)
	assert.Equal(t, 2, day.Chained)
}

// TestRenamedDayFile: a day file renamed away while open (logrotate
// without copytruncate, or someone hiding calls) no longer takes the next
// lines: they go to a new file under the day's name, where readers look.
func TestRenamedDayFile(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	ctx := context.Background()
	path := filepath.Join(root, "amy", "tool_audit", "2026-03-04.jsonl")
	require.NoError(t, exp.ExportSpans(ctx, tracetest.SpanStubs{toolStub("amy", "before", `{}`, "ok", end, 1)}.Snapshots()))
	require.NoError(t, os.Rename(path, path+".old"))
	require.NoError(t, exp.ExportSpans(ctx, tracetest.SpanStubs{toolStub("amy", "after", `{}`, "ok", end, 2)}.Snapshots()))
	require.NoError(t, exp.Shutdown(ctx))
	assert.Len(t, readLines(t, path+".old"), 1)
	after := readLines(t, path)
	require.Len(t, after, 1)
	assert.Contains(t, after[0], `"tool":"after"`)
}

// TestLockHeldTooLong: processes holding day files' locks for ever (flock
// -x FILE sleep …) do not stop the calls: an export waits 2 s at most for
// all its files together, the next ones do not wait for files still
// locked, the lines wait in the spill with an error saying why, Health
// answers meanwhile, and the lines are written once the locks are free.
func TestLockHeldTooLong(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithRetryInterval(time.Hour))
	require.NoError(t, err)
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	ctx := context.Background()
	users := []string{"amy", "bob", "cat", "dan"}
	batch := func(tool string) []sdktrace.ReadOnlySpan {
		var stubs tracetest.SpanStubs
		for i, u := range users {
			stubs = append(stubs, toolStub(u, tool, `{}`, "ok", end, i+1))
		}
		return stubs.Snapshots()
	}
	require.NoError(t, exp.ExportSpans(ctx, batch("a")))
	var holders []*os.File
	for _, u := range users {
		h, err := os.Open(filepath.Join(root, u, "tool_audit", "2026-03-04.jsonl"))
		require.NoError(t, err)
		defer h.Close()
		require.NoError(t, syscall.Flock(int(h.Fd()), syscall.LOCK_EX))
		holders = append(holders, h)
	}

	start := time.Now()
	err = exp.ExportSpans(ctx, batch("b"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "held by another process")
	require.Error(t, exp.ExportSpans(ctx, batch("c")))
	assert.Less(t, time.Since(start), 4*time.Second, "2 s for the first export's four files, none for the second")
	assert.Equal(t, uint64(8), exp.Health().LinesPending)
	assert.ErrorIs(t, exp.Check(ctx), exporter.ErrNotWritable)

	for _, h := range holders {
		require.NoError(t, syscall.Flock(int(h.Fd()), syscall.LOCK_UN))
	}
	require.NoError(t, exp.ForceFlush(ctx))
	for _, u := range users {
		assert.Len(t, readLines(t, filepath.Join(root, u, "tool_audit", "2026-03-04.jsonl")), 3, u)
	}
	require.NoError(t, exp.Shutdown(ctx))
}

package exporter_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit/exporter"
)

// TestErrorHandlerAndClock: the exporter's own error handler gets what no
// caller returns (here the timer's retry of a failed write), the global
// OpenTelemetry handler does not, and LastErrorAt is the given clock's.
func TestErrorHandlerAndClock(t *testing.T) {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { t.Errorf("global handler got %v", err) }))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
	var mu sync.Mutex
	var got []error
	clock := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithRetryInterval(10*time.Millisecond),
		exporter.WithClock(func() time.Time { return clock }),
		exporter.WithErrorHandler(func(err error) { mu.Lock(); got = append(got, err); mu.Unlock() }))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "frank"), []byte("in the way"), 0o600))
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	require.Error(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("frank", "x", `{}`, "ok", end, 1)}.Snapshots()))
	assert.Equal(t, clock, exp.Health().LastErrorAt)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > 0 }, 5*time.Second, 5*time.Millisecond,
		"the retry timer's error reaches the exporter's handler")
	mu.Lock()
	assert.Contains(t, got[0].Error(), "frank/tool_audit/2026-03-04.jsonl")
	mu.Unlock()
	assert.Error(t, exp.Shutdown(context.Background()), "the line could never be written")
}

// TestCheck: nil while writing, ErrNotWritable with lines waiting, the
// context's error once it is done, ErrClosed after Shutdown; FilesOpen
// counts the open day files.
func TestCheck(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithRetryInterval(time.Hour))
	require.NoError(t, err)
	ctx := context.Background()
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	require.NoError(t, exp.Check(ctx))
	require.NoError(t, exp.ExportSpans(ctx, tracetest.SpanStubs{toolStub("amy", "x", `{}`, "ok", end, 1), toolStub("bob", "x", `{}`, "ok", end, 2)}.Snapshots()))
	assert.Equal(t, uint64(2), exp.Health().FilesOpen)
	require.NoError(t, exp.Check(ctx))

	require.NoError(t, os.WriteFile(filepath.Join(root, "frank"), []byte("in the way"), 0o600))
	require.Error(t, exp.ExportSpans(ctx, tracetest.SpanStubs{toolStub("frank", "x", `{}`, "ok", end, 3)}.Snapshots()))
	err = exp.Check(ctx)
	require.ErrorIs(t, err, exporter.ErrNotWritable)
	assert.Contains(t, err.Error(), "1 lines wait")

	done, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, exp.Check(done), context.Canceled)

	require.NoError(t, os.Remove(filepath.Join(root, "frank")))
	require.NoError(t, exp.ForceFlush(ctx))
	require.NoError(t, exp.Check(ctx))
	require.NoError(t, exp.Shutdown(ctx))
	assert.True(t, errors.Is(exp.Check(ctx), exporter.ErrClosed))
}

// TestCheckDoesNotWaitForAWrite: a fail-closed check runs before every
// call, and metrics read Health at every scrape, so they must answer while a write holds the exporter (a disk that
// blocks, a FIFO), not queue behind it.
func TestCheckDoesNotWaitForAWrite(t *testing.T) {
	exp, err := exporter.New(t.TempDir())
	require.NoError(t, err)
	release := exp.HoldLock()
	defer release()
	answered := make(chan error, 1)
	go func() { answered <- exp.Check(context.Background()) }()
	select {
	case err := <-answered:
		assert.NoError(t, err)
		assert.Zero(t, exp.Health().LinesPending, "Health answers too")
	case <-time.After(10 * time.Second):
		t.Fatal("Check waited for the write in progress")
	}
}

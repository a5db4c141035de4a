//go:build unix

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
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit/exporter"
)

// TestFIFOPlantedAsDayFileRefused checks that a FIFO in place of a day file
// is refused and its lines kept: opened read-write it would swallow 64 KiB
// of lines that no one reads, then block the exporter for ever.
func TestFIFOPlantedAsDayFileRefused(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "mallory", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "2026-03-04.jsonl"), 0o600))
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)

	var stubs tracetest.SpanStubs
	for i := range 2000 { // about 300 KiB: more than a pipe holds
		stubs = append(stubs, toolStub("mallory", "x", `{"i":1}`, "ok", day, i))
	}
	for _, n := range []int{1, len(stubs)} {
		done := make(chan error, 1)
		go func() { done <- exp.ExportSpans(context.Background(), stubs[:n].Snapshots()) }()
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("ExportSpans of %d lines still blocked after 10 s", n)
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "mallory/tool_audit/2026-03-04.jsonl")
		assert.Contains(t, err.Error(), "not a regular file")
	}
	h := exp.Health()
	assert.Zero(t, h.LinesWritten, "nothing counted as written into the FIFO")
	assert.Equal(t, uint64(2001), h.LinesPending, "kept for a retry, not dropped")
}

// TestFIFOPlantedAsPreviousDay: the exporter reads the previous day's head
// when it starts a day file; a FIFO there is passed over, not waited on.
func TestFIFOPlantedAsPreviousDay(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "fifo", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "2026-03-03.jsonl"), 0o600))
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	end := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	done := make(chan error, 1)
	go func() {
		done <- exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("fifo", "a", `{}`, "ok", end, 1)}.Snapshots())
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the write waits on the FIFO")
	}
	require.NoError(t, exp.Shutdown(context.Background()))
	d := verifyFile(t, filepath.Join(dir, "2026-03-04.jsonl"))
	assert.Equal(t, 1, d.Chained)
	assert.Zero(t, d.Fail)
}

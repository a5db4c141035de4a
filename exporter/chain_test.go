package exporter_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/internal/chain"
	"github.com/toolaudit/toolaudit/record"
)

// verifyFile checks a day file, {root}/{user}/tool_audit/{day}.jsonl,
// as its user's first day: its chain starts from the user's genesis link.
func verifyFile(t *testing.T, path string) chain.Day {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	user := filepath.Base(filepath.Dir(filepath.Dir(path)))
	d, err := chain.Verify(context.Background(), f, chain.Options{Prev: chain.Genesis(user)})
	require.NoError(t, err)
	return d
}

func TestChainOnByDefaultAndOff(t *testing.T) {
	end := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	spans := tracetest.SpanStubs{toolStub("amy", "a", `{}`, "ok", end, 1), toolStub("amy", "b", `{}`, "ok", end, 2)}.Snapshots()
	for _, on := range []bool{true, false} {
		root := t.TempDir()
		opts := []exporter.Option{exporter.WithLocation(time.UTC)}
		if !on {
			opts = append(opts, exporter.WithChain(false))
		}
		exp, err := exporter.New(root, opts...)
		require.NoError(t, err)
		require.NoError(t, exp.ExportSpans(context.Background(), spans))
		require.NoError(t, exp.Shutdown(context.Background()))
		path := filepath.Join(root, "amy", "tool_audit", "2026-03-04.jsonl")
		d := verifyFile(t, path)
		if on {
			assert.Equal(t, [4]int{2, 2, 0, 0}, [4]int{d.Lines, d.Chained, d.Legacy, d.Fail})
		} else {
			assert.Equal(t, [4]int{2, 0, 2, 0}, [4]int{d.Lines, d.Chained, d.Legacy, d.Fail})
		}
		for _, l := range readLines(t, path) {
			e, err := record.Parse([]byte(l), time.UTC)
			require.NoError(t, err)
			assert.Equal(t, on, e.Chain != "")
			assert.Equal(t, l, string(e.AppendJSON(nil)), "a line read and written back is the same")
		}
	}
}

// TestSpilledLinesChainedWhenWritten: lines kept after a failed write are
// chained when they are written, after what another writer appended
// meanwhile, so the file keeps one chain.
func TestSpilledLinesChainedWhenWritten(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	end := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	a, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithRetryInterval(time.Hour))
	require.NoError(t, err)
	// A file where the user's folder should be: a's writes fail.
	require.NoError(t, os.WriteFile(filepath.Join(root, "jill"), nil, 0o600))
	require.Error(t, a.ExportSpans(ctx, bigBatch(5, "jill")))
	require.Equal(t, uint64(5), a.Health().LinesPending)

	require.NoError(t, os.Remove(filepath.Join(root, "jill")))
	b, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	require.NoError(t, b.ExportSpans(ctx, tracetest.SpanStubs{toolStub("jill", "b", `{}`, "ok", end, 9)}.Snapshots()))
	require.NoError(t, b.Shutdown(ctx))
	require.NoError(t, a.ForceFlush(ctx))
	require.NoError(t, a.Shutdown(ctx))

	path := filepath.Join(root, "jill", "tool_audit", "2026-03-04.jsonl")
	d := verifyFile(t, path)
	assert.Equal(t, 6, d.Chained)
	assert.Zero(t, d.Fail, d.Reason)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), `{"ts":"2026-03-04T05:06:07+00:00","user":"jill","engine":"anthropic","model":"claude","tool":"b"`), "b's line first")
	assert.Equal(t, 6, bytes.Count(data, []byte(`"chain":"`)))
}

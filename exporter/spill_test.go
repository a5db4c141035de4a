package exporter_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/exporter"
)

// TestSpillOverflowKeepsWhatFits: lines that go over the spill's bound
// are given up, not those the spill already holds nor the oldest that
// still fit; once the fault clears those are written, in order.
func TestSpillOverflowKeepsWhatFits(t *testing.T) {
	ctx := context.Background()
	spans := bigBatch(300, "jill") // lines of one length, about 450 bytes
	probe := t.TempDir()
	// The spill holds lines before they are chained.
	pexp, err := exporter.New(probe, exporter.WithLocation(time.UTC), exporter.WithChain(false))
	require.NoError(t, err)
	require.NoError(t, pexp.ExportSpans(ctx, spans[:1]))
	st, err := os.Stat(filepath.Join(probe, "jill", "tool_audit", "2026-03-04.jsonl"))
	require.NoError(t, err)
	const bound = 32 << 10
	fit := bound / int(st.Size())

	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithMaxSpillBytes(bound), exporter.WithRetryInterval(time.Hour))
	require.NoError(t, err)
	// A file where the user's folder should be.
	require.NoError(t, os.WriteFile(filepath.Join(root, "jill"), nil, 0o600))
	rel := "jill/tool_audit/2026-03-04.jsonl"
	require.ErrorContains(t, exp.ExportSpans(ctx, spans[:10]), "10 audit lines for "+rel+" kept for retry")
	assert.Equal(t, uint64(10), exp.Health().LinesPending)

	// One batch goes over the bound.
	err = exp.ExportSpans(ctx, spans[10:])
	require.ErrorContains(t, err, fmt.Sprintf("%d audit lines for %s given up, spill full; %d kept for retry", 300-fit, rel, fit))
	h := exp.Health()
	assert.Equal(t, uint64(fit), h.LinesPending, "the oldest lines that fit are kept")
	assert.Equal(t, uint64(300-fit), h.LinesFailed, "only the lines beyond the bound fail")
	assert.Zero(t, h.LinesWritten)

	require.NoError(t, os.Remove(filepath.Join(root, "jill")))
	require.NoError(t, exp.ForceFlush(ctx))
	requireInOrder(t, filepath.Join(root, rel), 0, 1, fit)
	h = exp.Health()
	assert.Equal(t, uint64(fit), h.LinesWritten)
	assert.Zero(t, h.LinesPending)
	assert.Equal(t, uint64(300-fit), h.LinesFailed)
	require.NoError(t, exp.Shutdown(ctx))
}

package chain_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/internal/chain"
)

// TestSparseHoleStopsAtMaxLine: a terabyte hole is one line too long; it
// fails there, without reading on.
func TestSparseHoleStopsAtMaxLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "2026-11-27.jsonl")
	require.NoError(t, os.WriteFile(p, nil, 0o600))
	require.NoError(t, os.Truncate(p, 1<<40))
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	start := time.Now()
	d, err := chain.Verify(context.Background(), f, chain.Options{Prev: chain.Genesis("alice"), MaxLine: 4 << 20})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Equal(t, 1, d.Fail)
	assert.Equal(t, "a line longer than 4194304 bytes at line 1; the rest not read", d.Reason)
}

// TestVerifyStopsOnCancel: a cancelled context stops the read.
func TestVerifyStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := chain.Verify(ctx, bytes.NewReader(bytes.Repeat([]byte("{}\n"), 1<<20)), chain.Options{})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestBlankLinesMemoryBounded: millions of lines cost no memory per line.
func TestBlankLinesMemoryBounded(t *testing.T) {
	data := bytes.Repeat([]byte("\n"), 3_000_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := chain.Verify(context.Background(), bytes.NewReader(data), chain.Options{At: []int{1, 2_999_999}, Links: true})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, 3_000_000, d.Torn)
	assert.Equal(t, int64(2_999_999), d.Ends[1])
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "bytes allocated")
}

//go:build linux

package exporter_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/exporter"
)

func init() { helpers["fsize"] = helperFsize }

// TestDiskFullShutdownLeavesWholeLines shuts the exporter down while the
// disk is still full: its files end with whole lines, and the lines it
// could not write are counted failed.
func TestDiskFullShutdownLeavesWholeLines(t *testing.T) {
	dir := mountTmpfs(t, "64k")
	exp, err := exporter.New(dir, exporter.WithLocation(time.UTC), exporter.WithRetryInterval(time.Hour))
	require.NoError(t, err)
	err = exp.ExportSpans(context.Background(), bigBatch(300, "kay"))
	require.ErrorIs(t, err, syscall.ENOSPC)
	requireWholeLines(t, dir)
	require.ErrorIs(t, exp.Shutdown(context.Background()), syscall.ENOSPC)
	requireWholeLines(t, dir)
	h := exp.Health()
	lines := readLines(t, filepath.Join(dir, "kay", "tool_audit", "2026-03-04.jsonl"))
	assert.Equal(t, uint64(len(lines)), h.LinesWritten)
	assert.Equal(t, uint64(300-len(lines)), h.LinesFailed)
	requireInOrder(t, filepath.Join(dir, "kay", "tool_audit", "2026-03-04.jsonl"), 0, 1, len(lines))
}

// helperFsize writes 200 lines of about 450 bytes with a file size limit
// of $LIMIT bytes (RLIMIT_FSIZE: the write that crosses it is cut short,
// the next fails with EFBIG), prints the state of the file, lifts the
// limit, flushes and shuts down.
func helperFsize() int {
	limit, _ := strconv.ParseUint(os.Getenv("LIMIT"), 10, 64)
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &rl); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: rl.Max}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	root := os.Getenv("ROOT")
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithRetryInterval(time.Hour))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	if err := exp.ExportSpans(ctx, bigBatch(200, "fay")); !errors.Is(err, syscall.EFBIG) {
		fmt.Fprintln(os.Stderr, "want EFBIG, got", err)
		return 1
	}
	b, err := os.ReadFile(filepath.Join(root, "fay", "tool_audit", "2026-03-04.jsonl"))
	if err != nil || len(b) == 0 {
		fmt.Fprintln(os.Stderr, "reading the file after the fault:", err)
		return 1
	}
	h := exp.Health()
	fmt.Printf("size=%d last=%q written=%d pending=%d\n", len(b), b[len(b)-1:], h.LinesWritten, h.LinesPending)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: rl.Max, Max: rl.Max}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := errors.Join(exp.ForceFlush(ctx), exp.Shutdown(ctx)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestPartialWriteLeavesNoFragment cuts a write short with a file size
// limit, in a child process (no mount needed): the file keeps only whole
// lines, and once the limit is lifted every line is there once, in order.
func TestPartialWriteLeavesNoFragment(t *testing.T) {
	root := t.TempDir()
	// Not a multiple of the 450-byte lines: the write is cut in a line.
	cmd := helperCmd(t, "fsize", "ROOT="+root, "LIMIT=20000")
	out, err := cmd.Output()
	require.NoError(t, err, "%s", out)
	var size, written, pending int
	var last string
	_, err = fmt.Sscanf(string(out), "size=%d last=%q written=%d pending=%d", &size, &last, &written, &pending)
	require.NoError(t, err, "%s", out)
	t.Logf("after the fault: %s", strings.TrimSpace(string(out)))
	assert.Equal(t, "\n", last, "the file ends with a whole line after the short write")
	assert.LessOrEqual(t, size, 20000)
	assert.Equal(t, 200, written+pending)
	requireInOrder(t, filepath.Join(root, "fay", "tool_audit", "2026-03-04.jsonl"), 0, 1, 200)
}

//go:build unix

package reader

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOSRootFallback opens through os.Root, as where openat2 is
// unavailable: a day file is read, a FIFO is refused without blocking, and
// a symlink out of the root is refused.
func TestOSRootFallback(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	dir := filepath.Join(root, "u", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-11-27.jsonl"), []byte("{}\n"), 0o600))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "2026-11-26.jsonl"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "x"), []byte("{}\n"), 0o600))
	require.NoError(t, os.Symlink(filepath.Join(outside, "x"), filepath.Join(dir, "2026-11-25.jsonl")))
	r, err := os.OpenRoot(root)
	require.NoError(t, err)
	tr := &tree{root: r} // no openat2
	defer tr.Close()

	f, size, err := openDay(tr, "u", "u/tool_audit/2026-11-27.jsonl")
	require.NoError(t, err)
	require.EqualValues(t, 3, size)
	f.Close()

	done := make(chan error, 1)
	go func() { _, _, err := openDay(tr, "u", "u/tool_audit/2026-11-26.jsonl"); done <- err }()
	select {
	case err := <-done:
		require.ErrorContains(t, err, "not a regular file")
	case <-time.After(10 * time.Second):
		t.Fatal("opening a FIFO still blocked after 10 s")
	}

	_, _, err = openDay(tr, "u", "u/tool_audit/2026-11-25.jsonl")
	require.ErrorContains(t, err, "escapes")
}

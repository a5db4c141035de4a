package ship_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/ship"
)

// A day file extended into a sparse file with no newline (a hostile or
// damaged file) costs a bounded read, not an allocation of its size: that
// file stops with ErrLineTooLong, after its whole lines, and the others ship.
func TestLineTooLongStopsTheFile(t *testing.T) {
	ship.SetMaxLine(t, 1<<20)
	root, st := t.TempDir(), newMemStore()
	whole := appendLines(t, root, "alice", "2026-11-29", 0, 2)
	appendLines(t, root, "bob", "2026-11-29", 0, 2)
	path := filepath.Join(root, "alice", "tool_audit", "2026-11-29.jsonl")
	const size = 64 << 20
	require.NoError(t, os.Truncate(path, size))

	s := open(t, root, st, ship.WithMaxPiece(64<<10))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := s.Sync(context.Background())
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ship.ErrLineTooLong)
	assert.Contains(t, err.Error(), "alice/tool_audit/2026-11-29.jsonl")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "bytes allocated by a look at a %d-byte file", size)
	got := st.concat()
	assert.Equal(t, whole, got["alice/tool_audit/2026-11-29/h1"], "the lines before the long one are shipped")
	assert.Equal(t, readLocal(t, root, "bob", "2026-11-29"), got["bob/tool_audit/2026-11-29/h1"], "the other files ship")
	h := s.Health()
	assert.ErrorIs(t, h.LastError, ship.ErrLineTooLong)
	assert.Equal(t, int64(size-len(whole)), h.PendingBytes)
}

// A line longer than a piece but within the bound is shipped whole, alone.
func TestLongLineWithinTheBound(t *testing.T) {
	ship.SetMaxLine(t, 4<<20)
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 1)
	f, err := os.OpenFile(filepath.Join(root, "alice", "tool_audit", "2026-11-29.jsonl"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	long := make([]byte, 5<<20/2) // spans several search chunks
	for i := range long {
		long[i] = 'x'
	}
	_, err = f.Write(append(long, '\n'))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	appendLines(t, root, "alice", "2026-11-29", 1, 2)

	s := open(t, root, st, ship.WithMaxPiece(1000))
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-29"), st.concat()["alice/tool_audit/2026-11-29/h1"])
	assert.Len(t, st.objs, 3)
}

// A tool_audit folder that is a symbolic link to a folder outside the root
// is not followed: nothing from outside is shipped, and the look reports it.
func TestSymlinkedAuditFolderIsNotFollowed(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "bob", "2026-11-29", 0, 1)
	outside := t.TempDir()
	appendLines(t, outside, "x", "2026-11-29", 0, 1)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "alice"), 0o700))
	require.NoError(t, os.Symlink(filepath.Join(outside, "x", "tool_audit"), filepath.Join(root, "alice", "tool_audit")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "x"), filepath.Join(root, "carol")))

	s := open(t, root, st)
	err := s.Sync(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join("alice", "tool_audit")+" is a symbolic link")
	assert.Contains(t, err.Error(), "carol is a symbolic link")
	assert.Equal(t, []string{ship.Key("bob", "2026-11-29", "h1", 0)}, keys(st), "only bob's file, from inside the root")
}

// A progress folder that is a symbolic link to a folder outside the root
// is not written through, and the startup clean-up removes nothing there.
func TestSymlinkedProgressFolderIsNotWrittenThrough(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 1)
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "keep.tmp"), []byte("x"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(root, ship.StateDir, "progress"), 0o700))
	require.NoError(t, os.Symlink(outside, filepath.Join(root, ship.StateDir, "progress", "alice")))

	s := open(t, root, st)
	err := s.Sync(context.Background())
	require.Error(t, err, "the progress can be neither read nor saved")
	assert.Contains(t, err.Error(), "progress of alice/2026-11-29")
	names, rerr := os.ReadDir(outside)
	require.NoError(t, rerr)
	require.Len(t, names, 1, "nothing written outside the root")
	assert.Equal(t, "keep.tmp", names[0].Name(), "nothing removed outside the root")
}

//go:build unix

package tamper_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

// TestOneBadEntryIsOneRow: a day file, user folder, tombstone or checkpoint
// file that cannot be read as a regular file of its folder (a symlink out,
// a FIFO, a folder, no permission) is a Tampered row naming it; verify,
// seal and prune go on with the other users, carol here.
func TestOneBadEntryIsOneRow(t *testing.T) {
	clean := writeTree(t)
	priv, pub := newKey(t)
	seal(t, clean, priv)
	cpFile := func(root, user, day, ext string) string {
		return filepath.Join(tamper.CheckpointDir(root), user, day+ext)
	}
	moveOut := func(t *testing.T, p string) {
		t.Helper()
		out := filepath.Join(t.TempDir(), filepath.Base(p))
		require.NoError(t, os.Rename(p, out))
		require.NoError(t, os.Symlink(out, p))
	}
	for _, tc := range []struct {
		name   string
		plant  func(t *testing.T, root string)
		key    string // the row concerned, "user day"
		status string // with the public key
		reason string
		rootOK bool // the test needs another user than root
	}{
		{"a day file a symlink out of the root", func(t *testing.T, root string) {
			moveOut(t, dayPath(root, "alice", "2026-11-26"))
		}, "alice 2026-11-26", "tampered 0", "cannot read alice/tool_audit/2026-11-26.jsonl in the root: path escapes from parent", true},
		{"a user folder a symlink out of the root", func(t *testing.T, root string) {
			moveOut(t, filepath.Join(root, "bob", "tool_audit"))
		}, "bob ", "tampered 0", "cannot list bob/tool_audit in the root: path escapes from parent", true},
		{"a day file without read permission", func(t *testing.T, root string) {
			require.NoError(t, os.Chmod(dayPath(root, "alice", "2026-11-26"), 0))
		}, "alice 2026-11-26", "tampered 0", "cannot read alice/tool_audit/2026-11-26.jsonl in the root: permission denied", false},
		{"a tombstone a FIFO", func(t *testing.T, root string) {
			require.NoError(t, syscall.Mkfifo(cpFile(root, "alice", "2026-11-26", ".tombstone.json"), 0o644))
		}, "alice 2026-11-26", "tampered 0", "tombstone alice/2026-11-26.tombstone.json in the checkpoint folder: not a regular file (p---------)", true},
		{"a checkpoint file a symlink out of the checkpoint folder", func(t *testing.T, root string) {
			moveOut(t, cpFile(root, "alice", "2026-11-26", ".jsonl"))
		}, "alice 2026-11-26", "tampered 0", "checkpoint file alice/2026-11-26.jsonl in the checkpoint folder: path escapes from parent", true},
		{"a checkpoint file a FIFO", func(t *testing.T, root string) {
			p := cpFile(root, "alice", "2026-11-26", ".jsonl")
			require.NoError(t, os.Remove(p))
			require.NoError(t, syscall.Mkfifo(p, 0o644))
		}, "alice 2026-11-26", "tampered 0", "checkpoint file alice/2026-11-26.jsonl in the checkpoint folder: not a regular file (p---------)", true},
		{"a checkpoint file a folder", func(t *testing.T, root string) {
			p := cpFile(root, "alice", "2026-11-26", ".jsonl")
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Mkdir(p, 0o755))
		}, "alice 2026-11-26", "tampered 0", "checkpoint file alice/2026-11-26.jsonl in the checkpoint folder: not a regular file (d---------)", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.rootOK && os.Geteuid() == 0 {
				t.Skip("root reads files without permission")
			}
			root := copyTree(t, clean)
			tc.plant(t, root)
			require.NoError(t, startWriter(t, root, "carol", "2026-11-27", 5, 9000000, 2).Wait())

			rows, err := tamper.Verify(context.Background(), tamper.Config{Root: root, PublicKey: pub})
			require.NoError(t, err)
			got := map[string]tamper.Row{}
			for _, r := range rows {
				got[r.User+" "+r.Day] = r
			}
			r := got[tc.key]
			assert.Equal(t, tc.status, r.Status+" "+itoa(r.Line))
			assert.Equal(t, tc.reason, r.Reason)
			assert.Equal(t, "ok", got["carol 2026-11-26"].Status)
			assert.Equal(t, "unsealed", got["carol 2026-11-27"].Status)

			rows, err = tamper.Seal(context.Background(), tamper.Config{Root: root}, priv, sealTime)
			require.NoError(t, err)
			assert.Contains(t, rows, tamper.Row{User: "carol", Day: "2026-11-27", Status: "sealed", Lines: 125})
			assert.Contains(t, rows, tamper.Row{User: r.User, Day: r.Day, Status: tamper.Tampered, Line: r.Line, Reason: r.Reason, Lines: r.Lines})

			rows, err = tamper.Prune(context.Background(), tamper.Config{Root: root}, priv, "2026-11-27", sealTime)
			require.NoError(t, err)
			assert.Contains(t, rows, tamper.Row{User: "carol", Day: "2026-11-26", Status: "pruned", Lines: 120})
		})
	}
}

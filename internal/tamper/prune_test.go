package tamper_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

func prune(t *testing.T, root string, key []byte, cutoff string) []tamper.Row {
	t.Helper()
	rows, err := tamper.Prune(context.Background(), tamper.Config{Root: root}, key, cutoff, sealTime)
	require.NoError(t, err)
	return rows
}

// TestPrunedDaysAreRetained: pruned days are reported retained, with or
// without the key, and the next day's first link still checks, also when
// lines reached a pruned day late; a day deleted without a tombstone is
// still tampering.
func TestPrunedDaysAreRetained(t *testing.T) {
	late := filepath.Join(t.TempDir(), "home")
	var cmds []*exec.Cmd
	for p := range 3 {
		cmds = append(cmds, startWriter(t, late, "alice,bob,carol", days, 40, p*100000, 7))
	}
	for _, c := range cmds {
		require.NoError(t, c.Wait())
	}
	for name, root := range map[string]string{"in order": writeTree(t), "late lines": late} {
		t.Run(name, func(t *testing.T) {
			priv, pub := newKey(t)
			seal(t, root, priv)
			assert.Len(t, prune(t, root, priv, "2026-11-27"), 6)
			for _, u := range []string{"alice", "bob", "carol"} {
				_, err := os.Stat(dayPath(root, u, "2026-11-26"))
				assert.ErrorIs(t, err, os.ErrNotExist)
			}
			want := allOK(tamper.OK)
			for _, u := range []string{"alice", "bob", "carol"} {
				want[u+" 2026-11-25"], want[u+" 2026-11-26"] = "retained 0", "retained 0"
			}
			assert.Equal(t, want, verdicts(t, tamper.Config{Root: root}), "chains only")
			assert.Equal(t, want, verdicts(t, tamper.Config{Root: root, PublicKey: pub}), "with the key")
			assert.Empty(t, prune(t, root, priv, "2026-11-27"), "nothing more to prune")

			// A tombstone the key did not sign.
			_, other := newKey(t)
			assert.Equal(t, "tampered 0", verdicts(t, tamper.Config{Root: root, PublicKey: other})["bob 2026-11-25"])
		})
	}
}

// TestPruneKeepsBrokenDays: a day whose chain is broken is not pruned.
func TestPruneKeepsBrokenDays(t *testing.T) {
	root := writeTree(t)
	priv, _ := newKey(t)
	p := dayPath(root, "alice", "2026-11-25")
	l := readLines(t, p)
	writeLines(t, p, append(l[:5], l[6:]...))
	rows := prune(t, root, priv, "2026-11-26")
	require.Len(t, rows, 3)
	assert.Equal(t, tamper.Row{User: "alice", Day: "2026-11-25", Status: tamper.Tampered, Lines: 119, Line: 6, Reason: rows[0].Reason}, rows[0])
	_, err := os.Stat(p)
	assert.NoError(t, err, "kept")
}

// TestTornAndLegacyNoFalseAlarm: a line cut short by a crash is torn, not
// tampering, and the next writer's lines chain past it; lines written
// before chaining are legacy.
func TestTornAndLegacyNoFalseAlarm(t *testing.T) {
	root := writeTree(t)
	p := dayPath(root, "bob", "2026-11-27")
	l := readLines(t, p)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(l[0][:100]) // what a writer killed mid-write leaves
	require.NoError(t, err)
	require.NoError(t, f.Close())
	want := allOK(tamper.OK)
	want["bob 2026-11-27"] = "torn 121"
	assert.Equal(t, want, verdicts(t, tamper.Config{Root: root}), "torn at the end")

	require.NoError(t, startWriter(t, root, "bob", "2026-11-27", 10, 9000000, 3).Wait())
	assert.Equal(t, want, verdicts(t, tamper.Config{Root: root}), "torn, then written past")
	assert.Len(t, readLines(t, p), 131)

	// dave: a day written without chaining, then chained days.
	nochain := exec.Command(os.Args[0], "-test.run=^$")
	nochain.Env = append(os.Environ(), "TAMPER_NOCHAIN=1", "TAMPER_WRITER="+root+"|dave|2026-11-25|20|8000000|3")
	require.NoError(t, nochain.Run())
	require.NoError(t, startWriter(t, root, "dave", "2026-11-26", 20, 8100000, 3).Wait())
	v := verdicts(t, tamper.Config{Root: root})
	assert.Equal(t, "legacy 0", v["dave 2026-11-25"])
	assert.Equal(t, "ok 0", v["dave 2026-11-26"])
}

// TestWrittenAfterEveryDayPruned: a writer that finds no earlier day file
// on disk, every one pruned, starts the next day from the user's genesis
// link; that is no alarm, and another user's such day put in its place is.
func TestWrittenAfterEveryDayPruned(t *testing.T) {
	root := writeTree(t)
	priv, pub := newKey(t)
	assert.Len(t, prune(t, root, priv, "2026-11-28"), 9)
	require.NoError(t, startWriter(t, root, "alice,bob", "2026-11-29", 10, 5000000, 3).Wait())
	want := allOK("retained")
	want["alice 2026-11-29"], want["bob 2026-11-29"] = "ok 0", "ok 0"
	assert.Equal(t, want, verdicts(t, tamper.Config{Root: root}), "chains only")
	assert.Len(t, seal(t, root, priv), 2)
	assert.Equal(t, want, verdicts(t, tamper.Config{Root: root, PublicKey: pub}), "with the key")

	data, err := os.ReadFile(dayPath(root, "bob", "2026-11-29"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dayPath(root, "alice", "2026-11-29"), data, 0o600))
	want["alice 2026-11-29"] = "tampered 1"
	assert.Equal(t, want, verdicts(t, tamper.Config{Root: root}))
}

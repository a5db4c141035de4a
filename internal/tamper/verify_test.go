package tamper_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/stretchr/testify/require"
	"github.com/toolaudit/toolaudit/internal/chain"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

func TestCleanTreeFromProcessesIsOK(t *testing.T) {
	root := writeTree(t)
	assert.Equal(t, 3*3*3*40, countLines(t, root))
	assert.Equal(t, allOK(tamper.OK), verdicts(t, tamper.Config{Root: root}))
}

// TestLateLinesNoFalseAlarm: three processes each writing three days at
// once, so that lines reach a day after the next day's file began (a
// batch delayed past midnight): the next day's first link follows an
// earlier link of its day, and that is not tampering.
func TestLateLinesNoFalseAlarm(t *testing.T) {
	root := filepath.Join(t.TempDir(), "home")
	var cmds []*exec.Cmd
	for p := range 3 {
		cmds = append(cmds, startWriter(t, root, "alice,bob,carol", days, 40, p*100000, 7))
	}
	for _, c := range cmds {
		require.NoError(t, c.Wait())
	}
	assert.Equal(t, allOK(tamper.OK), verdicts(t, tamper.Config{Root: root}))
}

// TestEditsDetected: each change an attacker with the writer's permissions
// can make (T1) is reported on the right user, day and line, and only
// there, on a tree written by three exporter processes.
// t1Change is a change an attacker with the writer's permissions makes
// (T1) to a tree of writeTree, and the verdicts that change.
type t1Change struct {
	name   string
	change func(t *testing.T, root string)
	want   map[string]string // "" removes the row
}

func t1Changes() []t1Change {
	const u, d, next = "bob", "2026-11-26", "2026-11-27"
	edit := func(f func(lines [][]byte) [][]byte) func(t *testing.T, root string) {
		return func(t *testing.T, root string) {
			p := dayPath(root, u, d)
			writeLines(t, p, f(readLines(t, p)))
		}
	}
	return []t1Change{
		{"a byte of a line", edit(func(l [][]byte) [][]byte {
			l[49] = bytes.Replace(l[49], []byte(`"page":2`), []byte(`"page":3`), 1)
			return l
		}), map[string]string{u + " " + d: "tampered 50"}},
		{"a byte of a link", edit(func(l [][]byte) [][]byte {
			i := len(l[49]) - 5
			l[49][i] = "01"[(l[49][i]-'0'+1)%2] // a hex digit stays one
			return l
		}), map[string]string{u + " " + d: "tampered 50"}},
		{"a line deleted", edit(func(l [][]byte) [][]byte {
			return append(l[:49], l[50:]...)
		}), map[string]string{u + " " + d: "tampered 50"}},
		{"a copy of a line inserted", edit(func(l [][]byte) [][]byte {
			return append(l[:49], append([][]byte{l[9]}, l[49:]...)...)
		}), map[string]string{u + " " + d: "tampered 50"}},
		{"a line without a link inserted", edit(func(l [][]byte) [][]byte {
			line := []byte(`{"ts":"2026-11-26T01:00:00+00:00","user":"bob","tool":"rm","args":{},"status":"ok","result_chars":0,"result_snippet":""}` + "\n")
			return append(l[:49], append([][]byte{line}, l[49:]...)...)
		}), map[string]string{u + " " + d: "tampered 50"}},
		{"a link removed", edit(func(l [][]byte) [][]byte {
			p, _, _ := chain.Split(bytes.TrimSuffix(l[49], []byte("\n")))
			l[49] = append(append([]byte(nil), p...), "}\n"...)
			return l
		}), map[string]string{u + " " + d: "tampered 50"}},
		{"two lines swapped", edit(func(l [][]byte) [][]byte {
			l[49], l[50] = l[50], l[49]
			return l
		}), map[string]string{u + " " + d: "tampered 50"}},
		{"the end of a day cut", edit(func(l [][]byte) [][]byte {
			return l[:len(l)-5]
		}), map[string]string{u + " " + next: "tampered 1"}},
		{"a day deleted", func(t *testing.T, root string) {
			require.NoError(t, os.Remove(dayPath(root, u, d)))
		}, map[string]string{u + " " + d: "", u + " " + next: "tampered 1"}},
		{"the first day deleted", func(t *testing.T, root string) {
			require.NoError(t, os.Remove(dayPath(root, u, "2026-11-25")))
		}, map[string]string{u + " 2026-11-25": "", u + " " + d: "tampered 1"}},
		{"the first day replaced by another user's first day", func(t *testing.T, root string) {
			data, err := os.ReadFile(dayPath(root, "alice", "2026-11-25"))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(dayPath(root, u, "2026-11-25"), data, 0o600))
		}, map[string]string{u + " 2026-11-25": "tampered 1", u + " " + d: "tampered 1"}},
		{"a file replaced by another user's", func(t *testing.T, root string) {
			data, err := os.ReadFile(dayPath(root, "alice", d))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(dayPath(root, u, d), data, 0o600))
		}, map[string]string{u + " " + d: "tampered 1", u + " " + next: "tampered 1"}},
	}
}

func TestEditsDetected(t *testing.T) {
	clean := writeTree(t)
	for _, tc := range t1Changes() {
		t.Run(tc.name, func(t *testing.T) {
			root := copyTree(t, clean)
			tc.change(t, root)
			want := allOK(tamper.OK)
			for k, v := range tc.want {
				if v == "" {
					delete(want, k)
				} else {
					want[k] = v
				}
			}
			assert.Equal(t, want, verdicts(t, tamper.Config{Root: root}))
		})
	}
}

// onlyDaysSwapped writes one day for alice and bob, then swaps their day
// files: each is a valid chain of its own user's first day.
func onlyDaysSwapped(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "home")
	require.NoError(t, startWriter(t, root, "alice,bob", "2026-11-25", 40, 0, 7).Wait())
	a, b := dayPath(root, "alice", "2026-11-25"), dayPath(root, "bob", "2026-11-25")
	require.Equal(t, map[string]string{"alice 2026-11-25": "ok 0", "bob 2026-11-25": "ok 0"}, verdicts(t, tamper.Config{Root: root}))
	tmp := a + ".swap"
	require.NoError(t, os.Rename(a, tmp))
	require.NoError(t, os.Rename(b, a))
	require.NoError(t, os.Rename(tmp, b))
	return root
}

// TestOnlyDaySwapDetected: a user's only day file swapped with another
// user's is reported on that user, day and line, though no later day
// exists: each user's chain starts from its own genesis link.
func TestOnlyDaySwapDetected(t *testing.T) {
	root := onlyDaysSwapped(t)
	assert.Equal(t, map[string]string{"alice 2026-11-25": "tampered 1", "bob 2026-11-25": "tampered 1"}, verdicts(t, tamper.Config{Root: root}))
}

package tamper_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/internal/chain"
	"github.com/toolaudit/toolaudit/internal/tamper"
)

var sealTime = time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)

func seal(t *testing.T, root string, key []byte) []tamper.Row {
	t.Helper()
	rows, err := tamper.Seal(context.Background(), tamper.Config{Root: root}, key, sealTime)
	require.NoError(t, err)
	return rows
}

// rechain rewrites lines[from:] with links recomputed from the link before,
// as an attacker who knows the format does (T2). It returns the new head.
func rechain(lines [][]byte, from int, prev chain.Link) chain.Link {
	if from > 0 {
		_, prev, _ = chain.Split(bytes.TrimSuffix(lines[from-1], []byte("\n")))
	}
	var h chain.Hasher
	for i := from; i < len(lines); i++ {
		p, _, _ := chain.Split(bytes.TrimSuffix(lines[i], []byte("\n")))
		var out []byte
		out, prev = h.Append(nil, prev, append(append([]byte(nil), p...), '}'))
		lines[i] = append(out, '\n')
	}
	return prev
}

// TestRewriteDetectedByCheckpoints: a consistent rewrite (T2) passes the
// chains, and fails against the sealer's checkpoints; so do cutting the
// end of the last day and deleting it, which no chain can show.
func TestRewriteDetectedByCheckpoints(t *testing.T) {
	clean := writeTree(t)
	priv, pub := newKey(t)
	assert.Len(t, seal(t, clean, priv), 9)
	const u = "bob"
	for _, tc := range []struct {
		name      string
		change    func(t *testing.T, root string)
		chainOnly map[string]string
		sealed    map[string]string
	}{
		{"untouched", func(*testing.T, string) {}, nil, nil},
		{"a line edited, then every link after it recomputed", func(t *testing.T, root string) {
			p := dayPath(root, u, "2026-11-26")
			l := readLines(t, p)
			l[49] = bytes.Replace(l[49], []byte(`"page":2`), []byte(`"page":3`), 1)
			head := rechain(l, 49, chain.Link{})
			writeLines(t, p, l)
			p = dayPath(root, u, "2026-11-27")
			l = readLines(t, p)
			rechain(l, 0, head)
			writeLines(t, p, l)
		}, nil, map[string]string{u + " 2026-11-26": "tampered 1", u + " 2026-11-27": "tampered 1"}},
		{"the end of the last day cut", func(t *testing.T, root string) {
			p := dayPath(root, u, "2026-11-27")
			writeLines(t, p, readLines(t, p)[:115])
		}, nil, map[string]string{u + " 2026-11-27": "tampered 116"}},
		{"the last day deleted", func(t *testing.T, root string) {
			require.NoError(t, os.Remove(dayPath(root, u, "2026-11-27")))
		}, map[string]string{u + " 2026-11-27": ""}, map[string]string{u + " 2026-11-27": "tampered 0"}},
		{"lines added after the seal", func(t *testing.T, root string) {
			require.NoError(t, startWriter(t, root, u, "2026-11-27", 10, 9000000, 3).Wait())
		}, nil, map[string]string{u + " 2026-11-27": "unsealed 121"}},
		{"a checkpoint edited", func(t *testing.T, root string) {
			p := filepath.Join(tamper.CheckpointDir(root), u, "2026-11-25.jsonl")
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(p, bytes.Replace(data, []byte(`"lines":120`), []byte(`"lines":119`), 1), 0o644))
		}, nil, map[string]string{u + " 2026-11-25": "tampered 1"}}, // the first line it covers, not its count
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := copyTree(t, clean)
			tc.change(t, root)
			assert.Equal(t, with(allOK(tamper.OK), tc.chainOnly), verdicts(t, tamper.Config{Root: root}), "chains only")
			assert.Equal(t, with(allOK(tamper.OK), tc.sealed), verdicts(t, tamper.Config{Root: root, PublicKey: pub}), "with the checkpoints")
		})
	}
	t.Run("another key", func(t *testing.T) {
		_, other := newKey(t)
		for k, v := range verdicts(t, tamper.Config{Root: clean, PublicKey: other}) {
			assert.Equal(t, "tampered 1", v, k) // the first line the first checkpoint covers
		}
	})
}

// with is m with the changes: "" deletes a key.
func with(m, changes map[string]string) map[string]string {
	for k, v := range changes {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func TestSealTwiceAddsNothingAndRefusesBrokenChains(t *testing.T) {
	root := writeTree(t)
	priv, pub := newKey(t)
	p := dayPath(root, "carol", "2026-11-26")
	l := readLines(t, p)
	l[2], l[3] = l[3], l[2]
	writeLines(t, p, l)

	rows := seal(t, root, priv)
	require.Len(t, rows, 9)
	refused := 0
	for _, r := range rows {
		if r.Status == tamper.Tampered {
			refused++
			assert.Equal(t, "carol 2026-11-26 3", r.User+" "+r.Day+" "+itoa(r.Line))
		}
	}
	assert.Equal(t, 1, refused)
	_, err := os.Stat(filepath.Join(tamper.CheckpointDir(root), "carol", "2026-11-26.jsonl"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a broken chain is not sealed")

	before := snapshot(t, tamper.CheckpointDir(root))
	rows = seal(t, root, priv)
	require.Len(t, rows, 1, "only the refusal again")
	assert.Equal(t, before, snapshot(t, tamper.CheckpointDir(root)), "a second seal adds nothing")
	v := verdicts(t, tamper.Config{Root: root, PublicKey: pub})
	assert.Equal(t, "tampered 3", v["carol 2026-11-26"])
	assert.Equal(t, "ok 0", v["carol 2026-11-27"])
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	}))
	return m
}

// TestEightWritersWhileSealing: eight processes append to one file while
// a sealer runs: one valid chain, every line in it, verify ok.
func TestEightWritersWhileSealing(t *testing.T) {
	root := filepath.Join(t.TempDir(), "home")
	priv, pub := newKey(t)
	var cmds []*exec.Cmd
	for p := range 8 {
		cmds = append(cmds, startWriter(t, root, "zed", "2026-11-27", 150, p*100000, 5))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	seals := 0
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := os.Stat(root); err == nil {
				_, err := tamper.Seal(context.Background(), tamper.Config{Root: root}, priv, sealTime)
				assert.NoError(t, err)
				seals++
			}
		}
	})
	for _, c := range cmds {
		require.NoError(t, c.Wait())
	}
	close(stop)
	wg.Wait()
	seal(t, root, priv)
	t.Logf("%d seals while writing", seals)
	assert.Equal(t, 8*150, countLines(t, root))
	assert.Equal(t, map[string]string{"zed 2026-11-27": "ok 0"}, verdicts(t, tamper.Config{Root: root, PublicKey: pub}))
}

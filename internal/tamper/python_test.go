package tamper_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

// TestPythonVerifierAgrees runs scripts/verify_chain.py, a verifier
// written from docs/format.md with Python's standard library, on clean,
// tampered, torn, legacy, late and pruned trees, and requires the verdicts
// of Verify (chains only) for every user-day.
func TestPythonVerifierAgrees(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the independent verifier (scripts/verify_chain.py) is not run")
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "verify_chain.py")

	clean := writeTree(t)
	trees := map[string]string{"clean": clean}
	for _, tc := range t1Changes() {
		root := copyTree(t, clean)
		tc.change(t, root)
		trees[tc.name] = root
	}
	torn := copyTree(t, clean)
	f, err := os.OpenFile(dayPath(torn, "bob", "2026-11-26"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"ts":"2026-11-26T02:00:00+00:00","user":"bob","to`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, startWriter(t, torn, "bob", "2026-11-26", 5, 9000000, 2).Wait())
	trees["torn"] = torn

	legacy := copyTree(t, clean)
	nochain := exec.Command(os.Args[0], "-test.run=^$")
	nochain.Env = append(os.Environ(), "TAMPER_NOCHAIN=1", "TAMPER_WRITER="+legacy+"|dave|2026-11-24|20|8000000|3")
	require.NoError(t, nochain.Run())
	require.NoError(t, startWriter(t, legacy, "dave", "2026-11-25", 20, 8100000, 3).Wait())
	trees["legacy"] = legacy

	late := filepath.Join(t.TempDir(), "home")
	var cmds []*exec.Cmd
	for p := range 3 {
		cmds = append(cmds, startWriter(t, late, "alice,bob", days, 30, p*100000, 7))
	}
	for _, c := range cmds {
		require.NoError(t, c.Wait())
	}
	trees["late"] = late
	pruned := copyTree(t, late)
	priv, _ := newKey(t)
	prune(t, pruned, priv, "2026-11-27")
	trees["pruned"] = pruned
	trees["only days swapped"] = onlyDaysSwapped(t)

	for name, root := range trees {
		t.Run(name, func(t *testing.T) {
			rows, err := tamper.Verify(context.Background(), tamper.Config{Root: root})
			require.NoError(t, err)
			var want []pyRow
			for _, r := range rows {
				want = append(want, pyRow{r.User, r.Day, r.Status, r.Lines, r.Line})
			}
			cmd := exec.Command(python, script, root)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, os.Stderr
			err = cmd.Run()
			var got []pyRow
			sc := bufio.NewScanner(&out)
			for sc.Scan() {
				var r pyRow
				require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
				got = append(got, r)
			}
			assert.Equal(t, want, got)
			tampered := false
			for _, r := range rows {
				tampered = tampered || r.Status == tamper.Tampered
			}
			if tampered {
				assert.Error(t, err, "python's exit status")
			} else {
				assert.NoError(t, err, "python's exit status")
			}
		})
	}
}

type pyRow struct {
	User   string `json:"user"`
	Day    string `json:"day"`
	Status string `json:"status"`
	Lines  int    `json:"lines"`
	Line   int    `json:"line"`
}

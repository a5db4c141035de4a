package toolaudit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

// referenceDir returns the reference module's folder, ../shared/seed from
// the repository root, or skips the test saying why it cannot run.
func referenceDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found: cannot run the reference module")
	}
	seed, err := filepath.Abs(filepath.Join("..", "shared", "seed"))
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(seed, "tool_audit.py")); err != nil {
		t.Skipf("reference module not found at %s", seed)
	}
	return seed
}

// python runs script in the reference module's folder with AUDIT_HOME set
// to root and returns its output lines.
func python(t *testing.T, seed, root, script string) []string {
	t.Helper()
	cmd := exec.Command("python3", "-c", script)
	cmd.Dir = seed
	cmd.Env = append(os.Environ(), "AUDIT_HOME="+root, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.Output()
	var stderr []byte
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	require.NoError(t, err, string(stderr))
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// TestReferenceNonFiniteArgs records calls whose args hold NaN and the
// infinities, nested in lists and objects, with the reference module, which
// writes them as the bare tokens NaN, Infinity and -Infinity; reads them with
// Recent and Day; and has the reference read back the lines we write.
func TestReferenceNonFiniteArgs(t *testing.T) {
	seed := referenceDir(t)
	root := t.TempDir()
	out := python(t, seed, root, `
import asyncio, json, tool_audit as t
from datetime import date
nan, inf = float("nan"), float("inf")
calls = [
    {"x": nan},
    {"a": [1, nan, [inf, -inf]], "b": {"c": {"d": -inf}, "e": "NaN Infinity -Infinity"}},
    {"q": "plain", "n": [{"v": inf}], "m": -1.5e-3},
]
t.set_context("anthropic", "m")
async def main():
    for i, a in enumerate(calls):
        await t.record("alice", "tool%d" % i, a, "ok", "result")
asyncio.run(main())
print(date.today().isoformat())
for a in calls:
    print(json.dumps(a))
`)
	require.Len(t, out, 4)
	day, want := out[0], out[1:]
	require.Contains(t, want[1], "[Infinity, -Infinity]", "the reference writes the bare tokens")

	r := reader.New(root)
	ctx := context.Background()
	recent, err := reader.Collect(r.Recent(ctx, "alice", reader.Query{}))
	require.NoError(t, err)
	chrono, err := reader.Collect(r.Day(ctx, "alice", day))
	require.NoError(t, err)
	require.Len(t, recent, len(want), "Recent skipped lines the reference wrote")
	require.Len(t, chrono, len(want), "Day skipped lines the reference wrote")
	for i, args := range want {
		newest := recent[len(want)-1-i]
		for _, e := range []record.Entry{chrono[i], newest} {
			assert.Equal(t, "tool"+string(rune('0'+i)), e.Tool)
			assert.Equal(t, record.StatusOK, e.Status)
			assert.Equal(t, 6, e.ResultChars)
			assert.Equal(t, args, string(e.Args), "raw args byte for byte")
		}
	}

	// The lines as the file holds them, to check re-encoding.
	f, err := os.Open(filepath.Join(root, "alice", "tool_audit", day+".jsonl"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	var ours []byte
	for i := 0; sc.Scan(); i++ {
		e, err := record.Parse(sc.Bytes(), time.Local)
		require.NoError(t, err, sc.Text())
		line := e.AppendJSON(nil)
		// Our line is compact; its args keep the tokens where they stood.
		again, err := record.Parse(line, time.Local)
		require.NoError(t, err, string(line))
		assert.Equal(t, string(line), string(again.AppendJSON(nil)), "re-encoding is stable")
		assert.Equal(t, compact(want[i]), string(again.Args))

		// MarshalJSON is for encoding/json: the tokens become the
		// middleware's strings.
		m, err := json.Marshal(e)
		require.NoError(t, err)
		var back struct{ Args map[string]any }
		require.NoError(t, json.Unmarshal(m, &back), string(m))
		ours = append(append(ours, line...), '\n')
	}
	require.NoError(t, sc.Err())

	// The reverse: the reference reads the lines we write, tokens and all.
	dir := filepath.Join(root, "bob", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, day+".jsonl"), ours, 0o600))
	read := python(t, seed, root, `
import json, tool_audit as t
for e in t.read_day("bob", "`+day+`"):
    print(json.dumps(e["args"]))
`)
	assert.Equal(t, want, read)
}

// compact removes the whitespace json.dumps puts after , and : outside
// strings, as AppendJSON does.
func compact(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case in && c == '\\':
			b.WriteByte(c)
			i++
			c = s[i]
		case c == '"':
			in = !in
		case !in && c == ' ':
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

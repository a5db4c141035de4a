package main

import (
	"bytes"
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
)

// cols is the display width of the test's strings, counted independently
// of the code under test: every rune from U+2E80 on that they hold (CJK,
// kana, emoji) takes two columns, the others one.
func cols(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x2e80 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// TestTableWideCharacters prints a row whose tool and arguments are CJK and
// emoji beside an ASCII row: both are as wide as the terminal, and their
// columns line up.
func TestTableWideCharacters(t *testing.T) {
	wide := entry("wendy", "検索ツール", record.StatusOK, 2*time.Minute, 1)
	wide.Args = json.RawMessage(`{"q":"` + strings.Repeat("漢字かな😀", 60) + `"}`)
	ascii := entry("anna", "search", record.StatusOK, time.Minute, 1)
	ascii.Args = json.RawMessage(`{"q":"` + strings.Repeat("x", 500) + `"}`)
	r := runCmd(t, true, nil, "--root", tree(t, wide, ascii), "recent", "--no-color")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3)
	a, w := lines[1], lines[2]
	require.Contains(t, w, "検索ツール")
	assert.Equal(t, 200, cols(a), a)
	assert.Equal(t, cols(a), cols(w), "the same width: %s", w)
	assert.Equal(t, cols(a[:strings.Index(a, " ok ")]), cols(w[:strings.Index(w, " ok ")]), "columns line up")
	assert.Contains(t, w, "…")

	// stats pads its tool column by display width too.
	r = runCmd(t, true, nil, "--root", tree(t, wide, ascii), "stats", "--no-color")
	require.Equal(t, 0, r.code, r.stderr)
	var at []int
	for l := range strings.SplitSeq(r.stdout, "\n") {
		if strings.HasPrefix(l, "検索ツール") || strings.HasPrefix(l, "search") {
			at = append(at, cols(l[:strings.Index(l, "1.000")]))
		}
	}
	require.Len(t, at, 2)
	assert.Equal(t, at[0], at[1], "stats columns line up")
}

// TestTableShowsReferenceEscapes prints a line the reference module wrote:
// Python's json.dumps escapes every non-ASCII character (caf\u00e9), which
// the table shows as text, while escapes of control and bidi characters
// stay escapes.
func TestTableShowsReferenceEscapes(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found: cannot run the reference module")
	}
	seed, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "seed"))
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(seed, "tool_audit.py")); err != nil {
		t.Skipf("reference module not found at %s", seed)
	}
	root := t.TempDir()
	cmd := exec.Command("python3", "-c", `import asyncio, tool_audit as t
t.set_context("anthropic", "claude")
asyncio.run(t.record("rita", "search", {"q": "café 😀 漢字", "c": "\x1b[31m\u202e", "s": "a\\u00e9\""}, "ok", "résultat"))`)
	cmd.Dir = seed
	cmd.Env = append(os.Environ(), "AUDIT_HOME="+root, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))

	r := runCmd(t, true, nil, "--root", root, "recent", "--no-color")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"q": "café 😀 漢字"`)
	assert.NotContains(t, r.stdout, `caf\u00e9`)
	assert.Contains(t, r.stdout, `"c": "\u001b[31m\u202e"`, "control and bidi characters stay escaped")
	assert.Contains(t, r.stdout, `"s": "a\\u00e9\""`, "an escaped backslash is not an escape")
	assert.Contains(t, r.stdout, "→ résultat")
	for _, bad := range []string{"\x1b", "\u202e"} {
		assert.NotContains(t, r.stdout, bad)
	}
}

// TestTableFitsNarrowTerminals: on an 80-column terminal (and narrower
// ones down to 72, where the user and tool columns reach 8) neither the
// header nor a row is wider than the terminal; rows were 82 columns and
// the header 85 at 80.
func TestTableFitsNarrowTerminals(t *testing.T) {
	root := sample(t)
	for _, width := range []int{80, 76, 72} {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"--root", root, "recent", "--no-color"}, env{
			stdout: &out, stderr: &errb, isTerminal: true, width: width,
			getenv: func(string) string { return "" }, now: func() time.Time { return now },
		})
		require.Equal(t, 0, code, errb.String())
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		require.Greater(t, len(lines), 2)
		for _, l := range lines {
			assert.LessOrEqual(t, cols(l), width, "at %d columns: %q", width, l)
		}
		assert.Contains(t, lines[1], "alice", "the user column is still there")
	}
}

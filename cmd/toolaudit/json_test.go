package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJSONOutputNonFinite checks that -o json prints strict JSON for the
// lines the reference module writes for float NaN and infinities, which
// hold the bare tokens NaN, Infinity and -Infinity: they become the strings
// "NaN", "+Inf" and "-Inf", as the middleware writes such floats.
func TestJSONOutputNonFinite(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "alice", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	// As Python's json.dumps writes them (the reference module's record).
	lines := `{"ts": "` + today + `T10:00:00", "user": "alice", "engine": "anthropic", "model": "m", "tool": "calc", "args": {"x": NaN, "y": [1, Infinity, {"z": -Infinity}], "s": "NaN"}, "status": "ok", "result_chars": 2, "result_snippet": "ok"}
{"ts": "` + today + `T11:00:00", "user": "alice", "engine": "anthropic", "model": "m", "tool": "plain", "args": {"q": 1.5}, "status": "ok", "result_chars": 2, "result_snippet": "ok"}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, today+".jsonl"), []byte(lines), 0o600))

	for _, args := range [][]string{{"recent", "alice"}, {"day", "alice", today}} {
		r := runCmd(t, false, nil, append([]string{"--root", root, "-o", "json"}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		out := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		require.Len(t, out, 2, "a line skipped: %s", r.stdout)
		byTool := map[string]any{}
		for _, l := range out {
			var e struct {
				Tool string
				Args any
			}
			require.NoError(t, json.Unmarshal([]byte(l), &e), "not JSON: %s", l)
			byTool[e.Tool] = e.Args
		}
		assert.Equal(t, map[string]any{"x": "NaN", "y": []any{1.0, "+Inf", map[string]any{"z": "-Inf"}}, "s": "NaN"}, byTool["calc"])
		assert.Equal(t, map[string]any{"q": 1.5}, byTool["plain"])
	}

	// The table shows the arguments as the file holds them.
	r := runCmd(t, true, nil, "--root", root, "recent", "alice", "--no-color")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `{"x": NaN, "y": [1, Infinity, {"z": -Infinity}], "s": "NaN"}`)

	// A CSV cell of arguments is strict JSON too, as -o json writes them.
	r = runCmd(t, false, nil, "--root", root, "-o", "csv", "recent", "alice")
	require.Equal(t, 0, r.code, r.stderr)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	for _, row := range rows[1:] {
		var args map[string]any
		require.NoError(t, json.Unmarshal([]byte(row[5]), &args), "args cell %q", row[5])
	}
}

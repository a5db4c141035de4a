package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
)

// chainedTree writes 10 calls for alice and bob through the middleware and
// the exporter, chained as by default, and returns the root.
func chainedTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "home")
	exp, err := exporter.New(root)
	require.NoError(t, err)
	tp, err := otelx.NewTracerProvider(exp)
	require.NoError(t, err)
	tool := toolaudit.Wrap("search", func(context.Context, map[string]any) (string, error) { return "3 results", nil },
		toolaudit.WithTracerProvider(tp))
	for i := range 20 {
		ctx := toolaudit.ContextWithUser(context.Background(), []string{"alice", "bob"}[i%2])
		_, err := tool(ctx, map[string]any{"q": fmt.Sprint("query ", i)})
		require.NoError(t, err)
	}
	require.NoError(t, tp.Shutdown(context.Background()))
	return root
}

type verdict struct {
	User, Day, Status string
	Lines, Line       int
	Reason            string
}

func verdictsOf(t *testing.T, out string) []verdict {
	t.Helper()
	var vs []verdict
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var v verdict
		require.NoError(t, json.Unmarshal([]byte(l), &v), l)
		vs = append(vs, v)
	}
	return vs
}

func TestKeygenSealVerify(t *testing.T) {
	root := chainedTree(t)
	day := time.Now().Format(time.DateOnly)
	key := filepath.Join(t.TempDir(), "seal.key")

	r := runCmd(t, false, nil, "keygen", "--key", key)
	require.Equal(t, 0, r.code, r.stderr)
	for path, perm := range map[string]os.FileMode{key: 0o600, key + ".pub": 0o644} {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, perm, st.Mode().Perm(), path)
	}
	r = runCmd(t, false, nil, "keygen", "--key", key)
	assert.Equal(t, 1, r.code, "keygen does not overwrite a key")

	r = runCmd(t, false, nil, "verify", "--root", root)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []verdict{{"alice", day, "ok", 10, 0, ""}, {"bob", day, "ok", 10, 0, ""}}, verdictsOf(t, r.stdout))
	assert.Equal(t, "toolaudit: signatures not checked (no --pubkey): chains only\n", r.stderr)

	r = runCmd(t, false, nil, "verify", "--root", root, "--pubkey", key+".pub")
	assert.Equal(t, 1, r.code, "no checkpoint folder yet")
	assert.Contains(t, r.stderr, "checkpoint folder")

	r = runCmd(t, false, nil, "seal", "--root", root, "--key", key)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "sealed alice "+day+": 10 lines\nsealed bob "+day+": 10 lines\n", r.stdout)
	r = runCmd(t, false, nil, "seal", "--root", root, "--key", key)
	assert.Equal(t, result{}, r, "a second seal adds nothing")

	r = runCmd(t, false, nil, "verify", "--root", root, "--pubkey", key+".pub", "--user", "bob")
	assert.Equal(t, result{stdout: `{"user":"bob","day":"` + day + `","status":"ok","lines":10}` + "\n"}, r)

	// An edit: verify and seal exit 1, naming the user, day and line.
	path := filepath.Join(root, "bob", "tool_audit", day+".jsonl")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(data), "query 7", "query 8", 1)), 0o600))
	r = runCmd(t, false, nil, "verify", "--root", root, "-o", "table")
	assert.Equal(t, 1, r.code)
	assert.Regexp(t, `(?m)^bob +`+day+` +tampered +10 +4 +its link does not match`, r.stdout)
	assert.Contains(t, r.stderr, "1 user-days tampered")
	r = runCmd(t, false, nil, "seal", "--root", root, "--key", key)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "not sealed: bob "+day+" line 4")
}

func TestPruneThenVerify(t *testing.T) {
	root := chainedTree(t)
	day := time.Now().Format(time.DateOnly)
	key := filepath.Join(t.TempDir(), "seal.key")
	require.Equal(t, 0, runCmd(t, false, nil, "keygen", "--key", key).code)

	r := runCmd(t, false, nil, "prune", "--root", root, "--key", key, "--older-than", "90d")
	assert.Equal(t, result{}, r, "nothing that old")
	later := func() time.Time { return time.Now().AddDate(0, 0, 91) }
	var out, errb strings.Builder
	code := run(context.Background(), []string{"prune", "--root", root, "--key", key, "--older-than", "90d"},
		env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: later})
	assert.Equal(t, 0, code, errb.String())
	assert.Equal(t, "pruned alice "+day+": 10 lines\npruned bob "+day+": 10 lines\n", out.String())
	_, err := os.Stat(filepath.Join(root, "alice", "tool_audit", day+".jsonl"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	r = runCmd(t, false, nil, "verify", "--root", root, "--pubkey", key+".pub")
	assert.Equal(t, 0, r.code, r.stderr)
	for _, v := range verdictsOf(t, r.stdout) {
		assert.Equal(t, "retained", v.Status)
		assert.Equal(t, 10, v.Lines)
	}
}

func TestTamperUsageErrors(t *testing.T) {
	root := chainedTree(t)
	for _, args := range [][]string{
		{"verify", "--root", root, "-o", "xml"},
		{"verify", "--root", root, "--since", "2026-13-01"},
		{"verify", "--root", root, "--until", "yesterday"},
		{"seal", "--root", root},
		{"seal", "--root", root, "--key", "k", "--checkpoints", filepath.Join(root, "cp")},
		{"prune", "--root", root, "--key", "k", "--older-than", "ninety"},
		{"keygen"},
		{"verify", "extra"},
	} {
		r := runCmd(t, false, nil, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
	}
}

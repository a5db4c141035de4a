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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstart(t *testing.T) {
	root := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), root, false, &out))
	s := out.String()
	assert.Contains(t, s, "audit root: "+root)
	assert.Contains(t, s, `"Name": "execute_tool search"`, "spans are forwarded to stdout")
	assert.Contains(t, s, "users: alice, bob")
	assert.Contains(t, s, `tool error (audited): toolaudit: tool "shell": tool call denied: bob may not run shell commands`)
	assert.Contains(t, s, "calls measured (gen_ai.execute_tool.duration count):\n"+
		"  search  ok     1\n  shell   denied 1\n  shell   ok     1\n  weather error  1\n  weather ok     1\n", "the metrics")
	for _, want := range []string{"alice shell   ok", "alice weather ok", "alice search  ok", "bob   shell   denied", "bob   weather error"} {
		assert.Contains(t, s, want)
	}

	// The reference Python module reads what the quickstart wrote.
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found: the reference module's reading is not checked")
	}
	seed, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "seed"))
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(seed, "tool_audit.py")); err != nil {
		t.Skipf("reference module not found at %s", seed)
	}
	today := time.Now().Format("2006-01-02")
	cmd := exec.Command("python3", "-c", `
import json, sys, tool_audit as t
print(json.dumps({"recent": t.read_recent("alice"), "day": t.read_day("bob", sys.argv[1]), "all": t.read_recent_all_users()}))
`, today)
	cmd.Dir = seed
	cmd.Env = append(os.Environ(), "AUDIT_HOME="+root, "PYTHONDONTWRITEBYTECODE=1")
	pyOut, err := cmd.Output()
	require.NoError(t, err)
	var got struct {
		Recent, Day, All []map[string]any
	}
	require.NoError(t, json.Unmarshal(pyOut, &got))
	require.Len(t, got.Recent, 3)
	assert.Equal(t, "shell", got.Recent[0]["tool"], "newest first")
	assert.Equal(t, "search", got.Recent[2]["tool"])
	args := got.Recent[2]["args"].(map[string]any)
	assert.Equal(t, "café opening hours", args["q"])
	assert.True(t, strings.HasSuffix(args["notes"].(string), " …[600 chars total]"))
	require.Len(t, got.Day, 2)
	assert.Equal(t, "weather", got.Day[0]["tool"], "chronological")
	assert.Equal(t, "error", got.Day[0]["status"])
	assert.Equal(t, "denied", got.Day[1]["status"])
	assert.Len(t, got.All, 5)
}

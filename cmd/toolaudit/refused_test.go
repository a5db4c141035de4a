//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badRoot is a root where bob's tool_audit is a symlink leading out of the
// root (to a folder of day files) and dan's today's file is a FIFO; alice,
// carol and dan's older day are readable.
func badRoot(t *testing.T) string {
	t.Helper()
	root := tree(t,
		entry("alice", "a-tool", record.StatusOK, 2*time.Hour, 10),
		entry("carol", "c-tool", record.StatusOK, time.Hour, 20),
		entry("dan", "d-old", record.StatusOK, 24*time.Hour, 30),
	)
	outside := tree(t, entry("victim", "secret", record.StatusOK, time.Hour, 1))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bob"), 0o700))
	require.NoError(t, os.Symlink(filepath.Join(outside, "victim", "tool_audit"), filepath.Join(root, "bob", "tool_audit")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "dan", "tool_audit", today+".jsonl"), 0o600))
	return root
}

// warnings checks that stderr holds one line per refused user, in order,
// each naming it once with a single prefix, and returns them.
func warnings(t *testing.T, stderr string, users ...string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	require.Len(t, lines, len(users), "stderr: %q", stderr)
	for i, u := range users {
		assert.True(t, strings.HasPrefix(lines[i], "toolaudit: user "+u+": "), lines[i])
		assert.NotContains(t, lines[i], "toolaudit: toolaudit:")
	}
	return lines
}

func TestRefusedUsersHideNoOne(t *testing.T) {
	root := badRoot(t)

	r := runCmd(t, false, nil, "--root", root, "recent")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, []string{"carol:c-tool", "alice:a-tool", "dan:d-old"}, jsonTools(t, r.stdout))
	lines := warnings(t, r.stderr, "bob", "dan")
	assert.Contains(t, lines[0], "bob/tool_audit")
	assert.Contains(t, lines[1], "dan/tool_audit/"+today+".jsonl")
	assert.NotContains(t, r.stdout, "secret")

	r = runCmd(t, true, nil, "--root", root, "recent", "--no-color")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "c-tool")
	warnings(t, r.stderr, "bob", "dan")

	r = runCmd(t, false, nil, "--root", root, "users")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, `"user":"alice"`)
	assert.Contains(t, r.stdout, `"user":"carol"`)
	assert.Contains(t, r.stdout, `{"user":"dan","days":2,"last_entry":"`+entry("dan", "", "", 24*time.Hour, 0).Time.Format(record.TimeLayout)+`"}`)
	warnings(t, r.stderr, "bob", "dan")

	r = runCmd(t, true, nil, "--root", root, "stats", "--no-color")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "3 calls")
	warnings(t, r.stderr, "bob", "dan")
}

func TestFollowRefusedUsers(t *testing.T) {
	root := badRoot(t)
	var out, errb syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--root", root, "follow", "--poll", "5ms"}, env{
			stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: func() time.Time { return now },
		})
	}()
	path := filepath.Join(root, "carol", "tool_audit", today+".jsonl")
	e := entry("carol", "live", record.StatusOK, 0, 1)
	require.Eventually(t, func() bool {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write(append(e.AppendJSON(nil), '\n'))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		time.Sleep(10 * time.Millisecond)
		return strings.Contains(out.String(), `"tool":"live"`)
	}, 5*time.Second, time.Millisecond)
	cancel()
	assert.Equal(t, 1, <-done, "users were refused")
	warnings(t, errb.String(), "bob", "dan")
}

// TestErrorPrefixOnce checks that an error of the library, which starts
// with "toolaudit:", is not prefixed a second time.
func TestErrorPrefixOnce(t *testing.T) {
	r := runCmd(t, false, nil, "--root", badRoot(t), "recent", "bob")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "toolaudit: user bob: opening bob/tool_audit: path escapes from the audit root\n", r.stderr)
}

// TestInterruptedIsNotSuccess: a command interrupted before it finished
// (Ctrl-C, a timeout, systemd stopping it) exits 1 saying its output is
// incomplete; it exited 0, so a verify cut short read as "all clear".
// follow, which runs until stopped, still ends with 0.
func TestInterruptedIsNotSuccess(t *testing.T) {
	root := sample(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"recent"}, {"stats"}, {"users"}, {"verify"}} {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"--root", root}, args...), env{stdout: &out, stderr: &errb,
			getenv: func(string) string { return "" }, now: func() time.Time { return now }})
		assert.Equal(t, 1, code, "%v: %s", args, errb.String())
		assert.Contains(t, errb.String(), "interrupted", args)
	}
	var out, errb bytes.Buffer
	code := run(ctx, []string{"--root", root, "follow"}, env{stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }, now: func() time.Time { return now }})
	assert.Equal(t, 0, code, errb.String())
}

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/ship"
)

// downStore is a ship.Store whose server is down.
type downStore struct{}

func (*downStore) PutOnce(context.Context, string, []byte, time.Time) error {
	return errors.New("connection refused")
}
func (*downStore) Get(context.Context, string) ([]byte, error) {
	return nil, errors.New("connection refused")
}
func (*downStore) List(context.Context, string) ([]string, error) {
	return nil, errors.New("connection refused")
}
func (*downStore) Delete(context.Context, ...string) error { return errors.New("connection refused") }

// TestPruneKeepsUnshippedDays: with a shipper on the root whose store has
// been down, prune deletes no day it has not stored whole (it deleted
// them, and with them the only copy of their lines; found in review), and
// exits 1 naming each.
func TestPruneKeepsUnshippedDays(t *testing.T) {
	root := chainedTree(t)
	day := time.Now().Format(time.DateOnly)
	s, err := ship.Start(context.Background(), root, &downStore{}, ship.WithInterval(time.Hour), ship.WithHost("h1"))
	require.NoError(t, err)
	require.Error(t, s.Sync(context.Background()))
	require.Error(t, s.Close(context.Background()))

	key := filepath.Join(t.TempDir(), "seal.key")
	require.Equal(t, 0, runCmd(t, false, nil, "keygen", "--key", key).code)
	var out, errb strings.Builder
	code := run(context.Background(), []string{"prune", "--root", root, "--key", key, "--older-than", "90d"},
		env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: func() time.Time { return time.Now().AddDate(0, 0, 91) }})
	assert.Equal(t, 1, code)
	assert.Empty(t, out.String(), "nothing pruned")
	assert.Contains(t, errb.String(), "alice "+day+" not pruned: shipped 0 of")
	_, err = os.Stat(filepath.Join(root, "alice", "tool_audit", day+".jsonl"))
	assert.NoError(t, err, "the day is still there")
}

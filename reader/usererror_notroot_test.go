//go:build unix

package reader_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

// TestUnreadableModes plants folders and files of mode 000, which only the
// superuser reads past: the test is skipped when run as root.
func TestUnreadableModes(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files of mode 000")
	}
	root := t.TempDir()
	today, yesterday := now.Format("2006-01-02"), now.AddDate(0, 0, -1).Format("2006-01-02")
	writeDay(t, root, "alice", today, line("alice", "a", at(today, 10, 0)))
	writeDay(t, root, "bob", today, line("bob", "b", at(today, 10, 0)))
	writeDay(t, root, "carol", yesterday, line("carol", "c-old", at(yesterday, 10, 0)))
	writeDay(t, root, "carol", today, line("carol", "c-new", at(today, 10, 0)))
	bobDir := filepath.Join(root, "bob", "tool_audit")
	carolNew := filepath.Join(root, "carol", "tool_audit", today+".jsonl")
	require.NoError(t, os.Chmod(bobDir, 0))
	require.NoError(t, os.Chmod(carolNew, 0))
	t.Cleanup(func() { os.Chmod(bobDir, 0o700) })

	r := newReader(root)
	users, err := r.Users(ctx)
	assert.Equal(t, []string{"alice", "carol"}, users)
	assert.Equal(t, []string{"bob"}, refused(t, err))
	all, err := reader.Collect(r.RecentAll(ctx, reader.Query{}))
	assert.Equal(t, []string{"a", "c-old"}, tools(all))
	assert.Equal(t, []string{"bob", "carol"}, refused(t, err))
	assert.ErrorContains(t, err, "carol/tool_audit/"+today+".jsonl")
}

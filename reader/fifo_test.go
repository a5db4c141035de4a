//go:build unix

package reader_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

// TestFIFOPlantedAsDayFile checks that a FIFO in place of a day file is an
// error naming it, for every reader, and never blocks: opened for reading
// it would wait for a writer for ever.
func TestFIFOPlantedAsDayFile(t *testing.T) {
	root := t.TempDir()
	writeDay(t, root, "amy", "2026-11-27", line("amy", "a1", at("2026-11-27", 10, 0)))
	dir := filepath.Join(root, "mallory", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "2026-11-27.jsonl"), 0o600))
	// And one where a user's folder of day files would be.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "yan"), 0o700))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "yan", "tool_audit"), 0o600))
	r := newReader(root)

	reads := map[string]func() error{
		"Recent": func() error { _, err := reader.Collect(r.Recent(ctx, "mallory", reader.Query{})); return err },
		"Day":    func() error { _, err := reader.Collect(r.Day(ctx, "mallory", "2026-11-27")); return err },
		"RecentAll": func() error {
			_, err := reader.Collect(r.RecentAll(ctx, reader.Query{}))
			return err
		},
		"Follow": func() error {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			for _, err := range r.Follow(ctx, 10*time.Millisecond, "mallory") {
				return err
			}
			return nil
		},
	}
	t.Run("Users", func(t *testing.T) {
		done := make(chan []string, 1)
		go func() {
			users, err := r.Users(ctx)
			assert.NoError(t, err)
			done <- users
		}()
		select {
		case users := <-done:
			assert.Equal(t, []string{"amy", "mallory"}, users, "yan has no day files")
		case <-time.After(10 * time.Second):
			t.Fatal("still blocked after 10 s")
		}
	})
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- read() }()
			select {
			case err := <-done:
				require.ErrorContains(t, err, "mallory/tool_audit/2026-11-27.jsonl is not a regular file")
			case <-time.After(10 * time.Second):
				t.Fatal("still blocked after 10 s")
			}
		})
	}
}

package ship_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/ship"
)

var day0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func line(user string, i int) string {
	return fmt.Sprintf(`{"ts":%q,"user":%q,"tool":"t","n":%d}`+"\n", day0.Add(time.Duration(i)*time.Second).Format(time.RFC3339), user, i)
}

func appendLines(t *testing.T, root, user, day string, from, to int) string {
	t.Helper()
	dir := filepath.Join(root, user, "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	f, err := os.OpenFile(filepath.Join(dir, day+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(line(user, i))
	}
	_, err = f.WriteString(b.String())
	require.NoError(t, err)
	return b.String()
}

func readLocal(t *testing.T, root, user, day string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, user, "tool_audit", day+".jsonl"))
	require.NoError(t, err)
	return string(b)
}

func open(t *testing.T, root string, st ship.Store, opts ...ship.Option) *ship.Shipper {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// An interval of an hour: the tests drive the looks with Sync.
	s, err := ship.Start(ctx, root, st, append([]ship.Option{ship.WithInterval(time.Hour), ship.WithHost("h1")}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func TestShipsWholeLinesInOrder(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 3)
	appendLines(t, root, "bob", "2026-11-29", 0, 2)
	s := open(t, root, st)
	require.NoError(t, s.Sync(context.Background()))
	appendLines(t, root, "alice", "2026-11-29", 3, 5)
	require.NoError(t, s.Sync(context.Background()))

	got := st.concat()
	assert.Equal(t, map[string]string{
		"alice/tool_audit/2026-11-29/h1": readLocal(t, root, "alice", "2026-11-29"),
		"bob/tool_audit/2026-11-29/h1":   readLocal(t, root, "bob", "2026-11-29"),
	}, got)
	first := len(line("alice", 0) + line("alice", 1) + line("alice", 2))
	assert.Contains(t, st.objs, ship.Key("alice", "2026-11-29", "h1", 0))
	assert.Contains(t, st.objs, ship.Key("alice", "2026-11-29", "h1", int64(first)), "the second piece starts where the first ended")
	h := s.Health()
	assert.Equal(t, int64(7), h.ShippedLines)
	assert.Equal(t, int64(3), h.Objects)
	assert.Zero(t, h.PendingLines)
	assert.Zero(t, h.PendingBytes)
	assert.True(t, h.OldestPending.IsZero())
	assert.NoError(t, h.LastError)
}

func TestLineBeingWrittenWaits(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	whole := appendLines(t, root, "alice", "2026-11-29", 0, 2)
	f, err := os.OpenFile(filepath.Join(root, "alice", "tool_audit", "2026-11-29.jsonl"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteString(`{"ts":"2026-11-29T10:00:09Z","us`)
	require.NoError(t, err)

	s := open(t, root, st)
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, whole, st.concat()["alice/tool_audit/2026-11-29/h1"], "only whole lines")
	h := s.Health()
	assert.Equal(t, int64(len(`{"ts":"2026-11-29T10:00:09Z","us`)), h.PendingBytes)
	assert.Zero(t, h.PendingLines)

	_, err = f.WriteString(`er":"alice"}` + "\n")
	require.NoError(t, err)
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-29"), st.concat()["alice/tool_audit/2026-11-29/h1"])
}

func TestPieceSize(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 10)
	long := `{"ts":"2026-11-29T11:00:00Z","args":"` + strings.Repeat("x", 500) + `"}` + "\n"
	f, err := os.OpenFile(filepath.Join(root, "alice", "tool_audit", "2026-11-29.jsonl"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(long)
	require.NoError(t, err)
	f.Close()
	appendLines(t, root, "alice", "2026-11-29", 10, 12)

	s := open(t, root, st, ship.WithMaxPiece(200))
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-29"), st.concat()["alice/tool_audit/2026-11-29/h1"])
	for k, b := range st.objs {
		assert.True(t, bytes.HasSuffix(b, []byte("\n")), "%s ends a line", k)
		assert.True(t, len(b) <= 200 || bytes.Count(b, []byte("\n")) == 1, "%s: %d bytes, %d lines", k, len(b), bytes.Count(b, []byte("\n")))
	}
	assert.Contains(t, st.concat()["alice/tool_audit/2026-11-29/h1"], long)
}

// A shipper that died after storing a piece and before saving its progress
// finds the piece stored, with fewer lines than the file now has: it counts
// it as shipped and ships the rest, once.
func TestCrashBetweenObjectAndProgress(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 4)
	s := open(t, root, st)
	require.NoError(t, s.Sync(context.Background()))
	require.NoError(t, s.Close(context.Background()))
	require.NoError(t, os.RemoveAll(filepath.Join(root, ship.StateDir, "progress")))
	appendLines(t, root, "alice", "2026-11-29", 4, 9)

	s = open(t, root, st)
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-29"), st.concat()["alice/tool_audit/2026-11-29/h1"], "every line once")
	assert.Len(t, st.objs, 2)
	assert.Equal(t, int64(4+5), s.Health().ShippedLines, "the stored piece counts as shipped")

	// Restarted again with its progress: nothing is put.
	require.NoError(t, s.Close(context.Background()))
	puts := st.puts
	s = open(t, root, st)
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, puts, st.puts)
}

func TestConflictStopsTheFile(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 2)
	appendLines(t, root, "bob", "2026-11-29", 0, 2)
	st.objs[ship.Key("alice", "2026-11-29", "h1", 0)] = []byte(`{"other":"host"}` + "\n")
	s := open(t, root, st)
	err := s.Sync(context.Background())
	require.ErrorIs(t, err, ship.ErrConflict)
	assert.Contains(t, err.Error(), "alice/tool_audit/2026-11-29.jsonl")
	assert.Equal(t, readLocal(t, root, "bob", "2026-11-29"), st.concat()["bob/tool_audit/2026-11-29/h1"], "a conflict stops one file only")
	h := s.Health()
	assert.Equal(t, int64(2), h.PendingLines)
	assert.ErrorIs(t, h.LastError, ship.ErrConflict)
}

func TestStoreDownThenBack(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	now := day0.Add(time.Hour)
	s := open(t, root, st, ship.WithClock(func() time.Time { return now }))
	st.setDown(true)
	appendLines(t, root, "alice", "2026-11-29", 0, 3)
	appendLines(t, root, "bob", "2026-11-29", 5, 6)
	require.Error(t, s.Sync(context.Background()))
	h := s.Health()
	assert.Equal(t, int64(4), h.PendingLines)
	assert.Equal(t, int64(len(readLocal(t, root, "alice", "2026-11-29")+readLocal(t, root, "bob", "2026-11-29"))), h.PendingBytes)
	assert.Equal(t, day0, h.OldestPending.UTC(), "alice's first line")
	assert.ErrorContains(t, h.LastError, "connection refused")
	assert.Equal(t, now, h.LastErrorAt)

	appendLines(t, root, "alice", "2026-11-29", 3, 6) // the file keeps growing
	require.Error(t, s.Sync(context.Background()))
	assert.Equal(t, int64(7), s.Health().PendingLines)

	st.setDown(false)
	require.NoError(t, s.Sync(context.Background()))
	h = s.Health()
	assert.Zero(t, h.PendingLines)
	assert.NoError(t, h.LastError)
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-29"), st.concat()["alice/tool_audit/2026-11-29/h1"])
	assert.Equal(t, readLocal(t, root, "bob", "2026-11-29"), st.concat()["bob/tool_audit/2026-11-29/h1"])
}

func TestOneShipperPerRoot(t *testing.T) {
	root := t.TempDir()
	s := open(t, root, newMemStore())
	_, err := ship.Start(context.Background(), root, newMemStore())
	require.ErrorIs(t, err, ship.ErrBusy)
	require.NoError(t, s.Close(context.Background()))
	s2, err := ship.Start(context.Background(), root, newMemStore())
	require.NoError(t, err, "the lock goes with Close")
	require.NoError(t, s2.Close(context.Background()))
}

func TestHostNameKeptInState(t *testing.T) {
	root := t.TempDir()
	s, err := ship.Start(context.Background(), root, newMemStore(), ship.WithInterval(time.Hour))
	require.NoError(t, err)
	host := s.Host()
	require.NoError(t, s.Close(context.Background()))
	assert.Regexp(t, `^[A-Za-z0-9_-][A-Za-z0-9._-]*-[0-9a-f]{8}$`, host)
	s, err = ship.Start(context.Background(), root, newMemStore(), ship.WithInterval(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, host, s.Host(), "the same root keeps its host name")
	require.NoError(t, s.Close(context.Background()))

	_, err = ship.Start(context.Background(), t.TempDir(), newMemStore(), ship.WithHost("../x"))
	require.ErrorContains(t, err, `host name "../x"`)
}

func TestLeavesOtherNamesAlone(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 1)
	for _, rel := range []string{"alice/tool_audit/notes.txt", "alice/tool_audit/2026-13-45.jsonl", ".hidden/tool_audit/2026-11-29.jsonl"} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, rel)), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(root, rel), []byte("x\n"), 0o600))
	}
	s := open(t, root, st)
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, []string{ship.Key("alice", "2026-11-29", "h1", 0)}, keys(st))
}

func TestLoopShipsWithinTheInterval(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	s, err := ship.Start(context.Background(), root, st, ship.WithInterval(20*time.Millisecond), ship.WithHost("h1"))
	require.NoError(t, err)
	appendLines(t, root, "alice", "2026-11-29", 0, 3)
	require.Eventually(t, func() bool { return s.Health().ShippedLines == 3 }, 5*time.Second, 10*time.Millisecond)
	appendLines(t, root, "alice", "2026-11-29", 3, 4)
	require.NoError(t, s.Close(context.Background()), "Close ships what is left")
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-29"), st.concat()["alice/tool_audit/2026-11-29/h1"])
}

func keys(m *memStore) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ks []string
	for k := range m.objs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// A day file that is a FIFO or a symbolic link is neither opened nor
// waited on.
func TestSkipsFIFOsAndLinks(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 1)
	dir := filepath.Join(root, "alice", "tool_audit")
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "2026-11-28.jsonl"), 0o600))
	outside := filepath.Join(t.TempDir(), "secret.jsonl")
	require.NoError(t, os.WriteFile(outside, []byte("secret\n"), 0o600))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "2026-11-27.jsonl")))
	s := open(t, root, st)
	done := make(chan error, 1)
	go func() { done <- s.Sync(context.Background()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Sync waits on a FIFO")
	}
	assert.Equal(t, []string{ship.Key("alice", "2026-11-29", "h1", 0)}, keys(st))
}

func TestShipped(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	whole := appendLines(t, root, "alice", "2026-11-29", 0, 2)
	n, err := ship.Shipped(root, "alice", "2026-11-29")
	require.NoError(t, err)
	assert.Zero(t, n)
	s := open(t, root, st)
	require.NoError(t, s.Sync(context.Background()))
	n, err = ship.Shipped(root, "alice", "2026-11-29")
	require.NoError(t, err)
	assert.Equal(t, int64(len(whole)), n)
	_, err = ship.Shipped(root, "../x", "2026-11-29")
	assert.Error(t, err)
	_, err = ship.Shipped(root, "alice", "../../x")
	assert.Error(t, err)
}

// A local fault (here a progress file that is not JSON) stops its own
// file, not the others; a store fault stops the look's uploads.
func TestLocalFaultStopsOneFile(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 2)
	appendLines(t, root, "bob", "2026-11-29", 0, 2)
	dir := filepath.Join(root, ship.StateDir, "progress", "alice")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-11-29.json"), []byte("garbage"), 0o600))
	s := open(t, root, st)
	err := s.Sync(context.Background())
	require.ErrorContains(t, err, "progress of alice/2026-11-29")
	assert.Equal(t, []string{ship.Key("bob", "2026-11-29", "h1", 0)}, keys(st), "bob, after alice, is shipped")
}

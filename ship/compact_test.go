package ship_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/ship"
)

// clock is a settable clock for the shipper and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// ageFile makes the day file look unchanged since t.
func ageFile(t *testing.T, root, user, day string, at time.Time) {
	t.Helper()
	require.NoError(t, os.Chtimes(filepath.Join(root, user, "tool_audit", day+".jsonl"), at, at))
}

func TestCompactsAFinishedDay(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	c := newClock(time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC))
	st.now = c.now
	s := open(t, root, st, ship.WithClock(c.now))
	ctx := context.Background()
	appendLines(t, root, "alice", "2026-11-27", 0, 3)
	require.NoError(t, s.Sync(ctx))
	appendLines(t, root, "alice", "2026-11-27", 3, 5)
	ageFile(t, root, "alice", "2026-11-27", c.now())
	require.NoError(t, s.Sync(ctx))
	require.Len(t, keys(st), 2)

	// 12:59 UTC the next day: not yet (the day ends at 12:00 UTC in UTC-12, plus an hour).
	c.set(time.Date(2026, 11, 28, 12, 59, 0, 0, time.UTC))
	require.NoError(t, s.Sync(ctx))
	assert.Len(t, keys(st), 2)

	c.set(time.Date(2026, 11, 28, 13, 1, 0, 0, time.UTC))
	require.NoError(t, s.Sync(ctx))
	assert.Equal(t, []string{ship.CompactedKey("alice", "2026-11-27", "h1")}, keys(st), "one object, the pieces deleted")
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-27"), string(st.objs[ship.CompactedKey("alice", "2026-11-27", "h1")]))
	assert.Equal(t, int64(1), s.Health().Compactions)

	// A line that comes later is a piece past the compacted object.
	appendLines(t, root, "alice", "2026-11-27", 5, 6)
	require.NoError(t, s.Sync(ctx))
	assert.Len(t, keys(st), 2)
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-27"), st.concat()["alice/tool_audit/2026-11-27/h1"])
	require.NoError(t, s.Sync(ctx))
	assert.Equal(t, int64(1), s.Health().Compactions, "compacted once")
}

func TestNoCompactionWhileTheFileChanges(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	c := newClock(time.Date(2026, 11, 28, 13, 30, 0, 0, time.UTC))
	s := open(t, root, st, ship.WithClock(c.now))
	appendLines(t, root, "alice", "2026-11-27", 0, 3)
	ageFile(t, root, "alice", "2026-11-27", c.now().Add(-10*time.Minute))
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, []string{ship.Key("alice", "2026-11-27", "h1", 0)}, keys(st), "changed 10 minutes ago")

	s2 := func() *ship.Shipper {
		require.NoError(t, s.Close(context.Background()))
		return open(t, root, st, ship.WithClock(c.now), ship.WithCompactAfter(-1))
	}()
	ageFile(t, root, "alice", "2026-11-27", c.now().Add(-48*time.Hour))
	require.NoError(t, s2.Sync(context.Background()))
	assert.Len(t, keys(st), 1, "compaction off")
}

// With a retention, the compacted object gets all of it, a piece at most
// PieceRetention, and the pieces are deleted once theirs ends.
func TestCompactionUnderRetention(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	c := newClock(time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC))
	st.now = c.now
	s := open(t, root, st, ship.WithClock(c.now), ship.WithRetention(90*24*time.Hour))
	ctx := context.Background()
	appendLines(t, root, "alice", "2026-11-27", 0, 3)
	ageFile(t, root, "alice", "2026-11-27", c.now())
	require.NoError(t, s.Sync(ctx))
	piece := ship.Key("alice", "2026-11-27", "h1", 0)
	assert.Equal(t, c.now().Add(ship.PieceRetention), st.until[piece])

	c.set(time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC))
	require.NoError(t, s.Sync(ctx))
	compacted := ship.CompactedKey("alice", "2026-11-27", "h1")
	assert.Equal(t, []string{compacted, piece}, keys(st), "the piece stays while it is retained")
	assert.Equal(t, c.now().Add(90*24*time.Hour), st.until[compacted])
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-27"), st.concat()["alice/tool_audit/2026-11-27/h1"])

	c.set(time.Date(2026, 11, 30, 18, 0, 1, 0, time.UTC))
	require.NoError(t, s.Sync(ctx))
	assert.Equal(t, []string{compacted}, keys(st), "deleted when its retention ended")
}

// A shipper that died between the compacted object and its progress
// finds the object stored, equal to its pieces, and goes on.
func TestCompactionCrashBeforeProgress(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	c := newClock(time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC))
	s := open(t, root, st, ship.WithClock(c.now))
	appendLines(t, root, "alice", "2026-11-27", 0, 3)
	require.NoError(t, s.Sync(context.Background()))
	appendLines(t, root, "alice", "2026-11-27", 3, 4)
	ageFile(t, root, "alice", "2026-11-27", c.now())
	require.NoError(t, s.Sync(context.Background()))
	require.NoError(t, s.Close(context.Background()))
	progress := filepath.Join(root, ship.StateDir, "progress", "alice", "2026-11-27.json")
	before, err := os.ReadFile(progress)
	require.NoError(t, err)
	compacted := ship.CompactedKey("alice", "2026-11-27", "h1")
	st.objs[compacted] = []byte(readLocal(t, root, "alice", "2026-11-27"))

	c.set(time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC))
	s = open(t, root, st, ship.WithClock(c.now))
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, []string{compacted}, keys(st))
	after, err := os.ReadFile(progress)
	require.NoError(t, err)
	assert.NotEqual(t, string(before), string(after))
	assert.Contains(t, string(after), `"pieces_deleted":true`)

	// Other bytes under the compacted key are a conflict.
	c.set(time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC))
	appendLines(t, root, "bob", "2026-11-27", 0, 2)
	require.NoError(t, s.Sync(context.Background()))
	appendLines(t, root, "bob", "2026-11-27", 2, 3)
	require.NoError(t, s.Sync(context.Background()))
	ageFile(t, root, "bob", "2026-11-27", c.now())
	c.set(time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC))
	st.objs[ship.CompactedKey("bob", "2026-11-27", "h1")] = []byte("{}\n")
	require.ErrorIs(t, s.Sync(context.Background()), ship.ErrConflict)
}

func TestParseKey(t *testing.T) {
	for key, want := range map[string]ship.Object{
		ship.Key("alice", "2026-11-27", "h1", 4096):               {User: "alice", Day: "2026-11-27", Host: "h1", Offset: 4096},
		ship.CompactedKey("@unattributed", "2026-11-27", "h-1.x"): {User: "@unattributed", Day: "2026-11-27", Host: "h-1.x", Compacted: true},
	} {
		got, ok := ship.ParseKey(key)
		assert.True(t, ok, key)
		assert.Equal(t, want, got, key)
	}
	for _, key := range []string{"alice/tool_audit/2026-11-27/h1/12.jsonl", "alice/x/2026-11-27/h1.jsonl", "../tool_audit/2026-11-27/h1.jsonl",
		"alice/tool_audit/2026-11-27/.h.jsonl", "alice/tool_audit/2026-11-27/h1/0000000000000000.txt", "alice/tool_audit/2026-11-27.jsonl"} {
		_, ok := ship.ParseKey(key)
		assert.False(t, ok, key)
	}
}

// A user-day of one piece stays as it is: nothing to join.
func TestOnePieceIsNotCopied(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	c := newClock(time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC))
	s := open(t, root, st, ship.WithClock(c.now))
	appendLines(t, root, "alice", "2026-11-27", 0, 3)
	ageFile(t, root, "alice", "2026-11-27", c.now().Add(-2*time.Hour))
	require.NoError(t, s.Sync(context.Background()))
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, []string{ship.Key("alice", "2026-11-27", "h1", 0)}, keys(st))
	assert.Zero(t, s.Health().Compactions)
	puts := st.puts
	appendLines(t, root, "alice", "2026-11-27", 3, 4)
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, puts+1, st.puts, "a late line is a piece")
	assert.Equal(t, readLocal(t, root, "alice", "2026-11-27"), st.concat()["alice/tool_audit/2026-11-27/h1"])
}

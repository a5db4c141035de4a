package ship_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/ship"
)

// blockStore is a memStore whose PutOnce blocks until its ctx is done.
type blockStore struct {
	*memStore
	once    sync.Once
	started chan struct{}
}

func (b *blockStore) PutOnce(ctx context.Context, _ string, _ []byte, _ time.Time) error {
	b.once.Do(func() { close(b.started) })
	<-ctx.Done()
	return ctx.Err()
}

// within runs f and fails the test if it has not returned after d.
func within(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("still waiting after %v", d)
		return nil
	}
}

// A store that never answers holds neither Close nor Sync past their ctx.
func TestCloseAndSyncEndWithTheirContext(t *testing.T) {
	root := t.TempDir()
	st := &blockStore{memStore: newMemStore(), started: make(chan struct{})}
	appendLines(t, root, "alice", "2026-11-29", 0, 1)
	s, err := ship.Start(context.Background(), root, st, ship.WithInterval(time.Hour), ship.WithHost("h1"))
	require.NoError(t, err)
	<-st.started // the loop's first look is uploading

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = within(t, 3*time.Second, func() error { return s.Sync(ctx) })
	assert.ErrorIs(t, err, context.DeadlineExceeded, "Sync waited for the running look")

	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = within(t, 3*time.Second, func() error { return s.Close(ctx) })
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)

	s2, err := ship.Start(context.Background(), root, newMemStore(), ship.WithInterval(time.Hour))
	require.NoError(t, err, "Close released the lock")
	require.NoError(t, s2.Close(context.Background()))
}

package ship

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// ErrBusy is wrapped by Start's error when another shipper holds the root.
var ErrBusy = errors.New("another shipper is running on this root")

// Health is the state of a Shipper, as of its last look at the root.
type Health struct {
	PendingLines  int64     // complete lines not yet shipped
	PendingBytes  int64     // bytes not yet shipped, a torn last line included
	OldestPending time.Time // ts of the oldest line not yet shipped; zero when none
	ShippedLines  int64     // lines shipped since Start
	ShippedBytes  int64     // bytes shipped since Start
	Objects       int64     // pieces stored since Start
	Compactions   int64     // user-days of this host joined into one object since Start
	LastCycle     time.Time // when the last look at the root ended
	LastError     error     // the last cycle's error, nil if it had none
	LastErrorAt   time.Time // when the last error happened
}

// Shipper ships an audit root to a Store. Its methods are safe for
// concurrent use.
type Shipper struct {
	root  string
	r     *os.Root // root, opened: every local path goes through it
	store Store
	cfg   config
	host  string
	lock  *os.File

	run  chan struct{}       // one cycle at a time: a semaphore, so a wait can end with its ctx
	prog map[string]progress // by user/day; guarded by run

	mu     sync.Mutex // guards health
	health Health

	cancel    context.CancelFunc // ends the loop's context, and its upload
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	metrics   metric.Registration // nil without WithMeterProvider
}

// Start takes the root's shipper lock and ships it to store every interval,
// starting now, until ctx is done or Close is called; only Close releases
// the lock. It fails, wrapping ErrBusy, if another shipper holds the root.
func Start(ctx context.Context, root string, store Store, opts ...Option) (*Shipper, error) {
	s, err := open(root, store, opts)
	if err != nil {
		return nil, err
	}
	ctx, s.cancel = context.WithCancel(ctx)
	go s.loop(ctx)
	return s, nil
}

func open(root string, store Store, opts []Option) (*Shipper, error) {
	if root == "" || store == nil {
		return nil, errors.New("ship: root and store are required")
	}
	c := newConfig(opts)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("ship: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("ship: %w", err)
	}
	lock, err := lockRoot(r)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("ship: locking %s: %w", root, err)
	}
	host := c.host
	if host == "" {
		host, err = hostName(r)
	} else if !validName(host) {
		err = fmt.Errorf("ship: host name %q: want 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'", host)
	}
	if err != nil {
		lock.Close()
		r.Close()
		return nil, err
	}
	s := &Shipper{root: root, r: r, store: store, cfg: c, host: host, lock: lock,
		run: make(chan struct{}, 1), prog: make(map[string]progress), cancel: func() {}, stop: make(chan struct{}), done: make(chan struct{})}
	if s.metrics, err = s.registerMetrics(); err != nil {
		lock.Close()
		r.Close()
		return nil, fmt.Errorf("ship: registering metrics: %w", err)
	}
	return s, nil
}

// Host returns the host part of the keys this shipper writes.
func (s *Shipper) Host() string { return s.host }

func (s *Shipper) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.cfg.interval)
	defer t.Stop()
	for {
		s.Sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// Sync ships what the root holds now, and returns the errors of that
// look at the root (also kept in Health). Waiting for a look already
// running ends with ctx, returning ctx's error.
func (s *Shipper) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.run <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.run }()
	return s.cycle(ctx)
}

// Close stops the loop, ships what is left (within ctx), and releases the
// root's lock. It returns that last look's errors; later calls return nil.
// A look of the loop still running when ctx is done is cancelled, and
// Close returns once its store call has returned (a Store honours ctx).
func (s *Shipper) Close(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		select {
		case <-s.done:
		case <-ctx.Done():
			// No grace period: ctx is the caller's deadline for everything.
			s.cancel()
			<-s.done
		}
		s.cancel()
		err = s.Sync(ctx)
		if s.metrics != nil {
			err = errors.Join(err, s.metrics.Unregister())
		}
		s.lock.Close()
		s.r.Close()
	})
	return err
}

// Health returns the state as of the last look at the root.
func (s *Shipper) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

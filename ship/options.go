package ship

import (
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Option configures a Shipper.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	interval     time.Duration
	host         string
	retention    time.Duration
	compactAfter time.Duration
	maxPiece     int
	now          func() time.Time
	handle       func(error)
	mp           metric.MeterProvider
}

// DefaultInterval is the time between two looks at the root.
const DefaultInterval = 30 * time.Second

func newConfig(opts []Option) config {
	c := config{interval: DefaultInterval, compactAfter: time.Hour, maxPiece: 16 << 20, now: time.Now, handle: func(error) {}}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithInterval sets the time between two looks at the root (default 30 s),
// which bounds the lag of a line while the store answers. d <= 0 is ignored.
func WithInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.interval = d
		}
	})
}

// PieceRetention bounds the retention of a piece (see WithRetention): long
// enough to protect it until its day is compacted, short enough that the
// pieces can then be deleted.
const PieceRetention = 72 * time.Hour

// WithRetention asks the store to keep every compacted object d from its
// upload, and every piece min(d, PieceRetention), from being overwritten or
// deleted (S3 Object Lock, COMPLIANCE; the bucket must have Object Lock).
// Default 0: none.
func WithRetention(d time.Duration) Option {
	return optionFunc(func(c *config) { c.retention = max(d, 0) })
}

// WithCompactAfter sets how long after a day is over everywhere (12:00
// UTC the next day) and after its file's last change each host's pieces
// of a user-day are joined into one object, and then deleted (default
// 1 h). d < 0 turns compaction off.
func WithCompactAfter(d time.Duration) Option {
	return optionFunc(func(c *config) { c.compactAfter = d })
}

// WithHost sets the host part of the keys (default: the one kept in the
// state folder, made once from the hostname and a random suffix). It must
// be unique among the writers of a bucket prefix; an invalid name makes
// Start fail.
func WithHost(name string) Option {
	return optionFunc(func(c *config) { c.host = name })
}

// WithMaxPiece bounds a piece's size in bytes (default 16 MiB); a single
// longer line is shipped whole, alone. n < 1 is ignored.
func WithMaxPiece(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.maxPiece = n
		}
	})
}

// WithClock sets the clock of Health's ages and error times (default
// time.Now). A nil clock is ignored.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) {
		if now != nil {
			c.now = now
		}
	})
}

// WithErrorHandler receives each error of the shipping loop as it happens
// (default: none; Health keeps the last). A nil handler is ignored.
func WithErrorHandler(handle func(error)) Option {
	return optionFunc(func(c *config) {
		if handle != nil {
			c.handle = handle
		}
	})
}

// WithMeterProvider reports the shipper's Health as observable instruments
// of mp, read at each collection: lines and bytes not yet shipped, the lag
// (the age of the oldest of them), lines shipped and the time of the last
// error (see docs/metrics.md). The callback is unregistered on Close.
// Without this option, or with a nil provider, nothing is reported.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.mp = mp })
}

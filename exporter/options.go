package exporter

import (
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// Option configures an Exporter.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	loc           *time.Location
	now           func() time.Time
	handle        func(error)
	maxOpenFiles  int
	maxSpillBytes int
	fsync         Fsync
	retryInterval time.Duration
	maxLine       int
	mp            metric.MeterProvider
	noChain       bool
}

func newConfig(opts []Option) config {
	c := config{
		loc: time.Local, now: time.Now, handle: otel.Handle,
		maxOpenFiles: 64, maxSpillBytes: 16 << 20, retryInterval: time.Second, maxLine: 64 << 10,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithLocation sets the location of the ts of each line and of the day
// that names its file (default time.Local). A nil location is ignored.
func WithLocation(loc *time.Location) Option {
	return optionFunc(func(c *config) {
		if loc != nil {
			c.loc = loc
		}
	})
}

// WithClock sets the clock of Health's LastErrorAt (default time.Now). A
// line's ts is its span's end time, not this clock's. A nil clock is
// ignored.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) {
		if now != nil {
			c.now = now
		}
	})
}

// WithErrorHandler sets the function that receives the exporter's errors
// that no caller gets back: retries by the timer, fsync and permission
// reports, spans without a valid user (default otel.Handle). Write errors
// of ExportSpans are returned to its caller, the span processor, which
// hands them to otel.Handle. It is called without the exporter's lock
// held; a nil handler is ignored.
func WithErrorHandler(handle func(error)) Option {
	return optionFunc(func(c *config) {
		if handle != nil {
			c.handle = handle
		}
	})
}

// WithMaxOpenFiles bounds the day files kept open (default 64); the least
// recently written is closed first. n < 1 is ignored.
func WithMaxOpenFiles(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.maxOpenFiles = n
		}
	})
}

// WithMaxSpillBytes bounds the bytes of lines kept in memory after a failed
// write, to be retried with the next export (default 16 MiB). The oldest
// lines that fit are kept; the newer lines beyond it are given up and
// counted in Health.LinesFailed. n < 0 is ignored; 0 keeps nothing.
func WithMaxSpillBytes(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 0 {
			c.maxSpillBytes = n
		}
	})
}

// Fsync says when an Exporter asks the operating system to put written
// lines on disk (fsync). The zero value is FsyncNever.
type Fsync struct {
	batch    bool
	interval time.Duration
}

var (
	// FsyncNever leaves durability to the operating system, as the
	// reference module does: a power loss can lose the last seconds of
	// lines; a process crash cannot.
	FsyncNever = Fsync{}
	// FsyncBatch fsyncs each file after each batch written to it, and the
	// folders of each new day file: when ExportSpans (and so the tracer
	// provider's ForceFlush) returns, the lines survive a power loss.
	FsyncBatch = Fsync{batch: true}
)

// FsyncInterval fsyncs the files written to every d (and on ForceFlush and
// Shutdown), and the folders of each new day file. d <= 0 means FsyncBatch.
func FsyncInterval(d time.Duration) Fsync {
	if d <= 0 {
		return FsyncBatch
	}
	return Fsync{interval: d}
}

// WithFsync sets when lines are fsynced (default FsyncNever).
func WithFsync(f Fsync) Option {
	return optionFunc(func(c *config) { c.fsync = f })
}

// WithRetryInterval sets how long to wait before retrying spilled lines
// when no export comes sooner (default 1 s). d <= 0 is ignored.
func WithRetryInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.retryInterval = d
		}
	})
}

// WithMaxLineBytes caps the length of one line (default 64 KiB; at least
// 16 KiB). A longer line is shrunk, never
// dropped: first its string argument values are cut to 100, then to 10 code
// points; then its arguments are replaced by {"_truncated": "..."} and its
// other text fields cut to 256 code points (the snippet to 300).
func WithMaxLineBytes(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxLine = max(n, 16<<10)
		}
	})
}

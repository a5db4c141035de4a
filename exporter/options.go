package exporter

import "time"

// Option configures an Exporter.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// DefaultMaxOpenFiles bounds the day files an Exporter keeps open.
const DefaultMaxOpenFiles = 64

// DefaultMaxSpillBytes bounds the lines an Exporter keeps in memory for a
// retry after a failed write.
const DefaultMaxSpillBytes = 16 << 20

type config struct {
	loc           *time.Location
	maxOpenFiles  int
	maxSpillBytes int
}

func newConfig(opts []Option) config {
	c := config{loc: time.Local, maxOpenFiles: DefaultMaxOpenFiles, maxSpillBytes: DefaultMaxSpillBytes}
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

// WithUTC is WithLocation(time.UTC).
func WithUTC() Option { return WithLocation(time.UTC) }

// WithMaxOpenFiles bounds the day files kept open; the least recently
// written is closed first. n < 1 is ignored.
func WithMaxOpenFiles(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.maxOpenFiles = n
		}
	})
}

// WithMaxSpillBytes bounds the bytes of lines kept in memory after a failed
// write, to be retried with the next export. Lines beyond it are given up
// and counted in Health.LinesFailed. n < 0 is ignored; 0 keeps nothing.
func WithMaxSpillBytes(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 0 {
			c.maxSpillBytes = n
		}
	})
}

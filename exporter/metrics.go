package exporter

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/metric"
)

// scopeName is the instrumentation scope of the health instruments.
const scopeName = "github.com/toolaudit/toolaudit/exporter"

// The health instruments, in toolaudit's namespace (see docs/metrics.md).
const (
	metricWritten   = "toolaudit.audit.lines.written"
	metricFailed    = "toolaudit.audit.lines.failed"
	metricPending   = "toolaudit.audit.lines.pending"
	metricFilesOpen = "toolaudit.audit.files.open"
	metricLastError = "toolaudit.audit.last_error.time"
)

// WithMeterProvider reports the exporter's Health as observable
// instruments of mp, read at each collection: lines written, failed and
// pending, files open and the time of the last write error (see
// docs/metrics.md), from the Health snapshot: a collection never waits
// for a write. The callback is unregistered on Shutdown. Without this
// option, or with a nil provider, nothing is reported: give one provider
// one exporter.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.mp = mp })
}

// registerMetrics registers the health callback with the configured meter
// provider, if any.
func (e *Exporter) registerMetrics() error {
	if e.cfg.mp == nil {
		return nil
	}
	m := e.cfg.mp.Meter(scopeName)
	written, err1 := m.Int64ObservableCounter(metricWritten, metric.WithUnit("{line}"),
		metric.WithDescription("Audit lines appended to files."))
	failed, err2 := m.Int64ObservableCounter(metricFailed, metric.WithUnit("{line}"),
		metric.WithDescription("Audit lines given up: spill full or exporter shut down."))
	pending, err3 := m.Int64ObservableUpDownCounter(metricPending, metric.WithUnit("{line}"),
		metric.WithDescription("Audit lines kept in memory after a failed write, to retry."))
	open, err4 := m.Int64ObservableUpDownCounter(metricFilesOpen, metric.WithUnit("{file}"),
		metric.WithDescription("Audit day files held open."))
	lastErr, err5 := m.Float64ObservableGauge(metricLastError, metric.WithUnit("s"),
		metric.WithDescription("When the last audit write error happened, in seconds since the Unix epoch; absent before the first."))
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return err
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		h := e.Health()
		o.ObserveInt64(written, int64(h.LinesWritten))
		o.ObserveInt64(failed, int64(h.LinesFailed))
		o.ObserveInt64(pending, int64(h.LinesPending))
		o.ObserveInt64(open, int64(h.FilesOpen))
		if !h.LastErrorAt.IsZero() {
			o.ObserveFloat64(lastErr, float64(h.LastErrorAt.UnixNano())/1e9)
		}
		return nil
	}, written, failed, pending, open, lastErr)
	if err != nil {
		return err
	}
	e.metrics.Store(&reg)
	return nil
}

// unregisterMetrics unregisters the health callback, once. It is called
// without e.mu held: a collection in progress holds the provider's lock
// and waits for e.mu in Health.
func (e *Exporter) unregisterMetrics() error {
	if reg := e.metrics.Swap(nil); reg != nil {
		return (*reg).Unregister()
	}
	return nil
}

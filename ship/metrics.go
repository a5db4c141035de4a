package ship

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/metric"
)

// The shipping instruments, in toolaudit's namespace (see docs/metrics.md).
const (
	metricPendingLines = "toolaudit.ship.lines.pending"
	metricPendingBytes = "toolaudit.ship.bytes.pending"
	metricLag          = "toolaudit.ship.lag"
	metricShipped      = "toolaudit.ship.lines.shipped"
	metricLastError    = "toolaudit.ship.last_error.time"
)

// registerMetrics registers the Health callback with the configured meter
// provider, if any, and returns its registration (nil without one).
func (s *Shipper) registerMetrics() (metric.Registration, error) {
	if s.cfg.mp == nil {
		return nil, nil
	}
	m := s.cfg.mp.Meter("github.com/toolaudit/toolaudit/ship")
	lines, err1 := m.Int64ObservableUpDownCounter(metricPendingLines, metric.WithUnit("{line}"),
		metric.WithDescription("Audit lines written locally and not yet shipped."))
	bytes, err2 := m.Int64ObservableUpDownCounter(metricPendingBytes, metric.WithUnit("By"),
		metric.WithDescription("Audit bytes written locally and not yet shipped."))
	lag, err3 := m.Float64ObservableGauge(metricLag, metric.WithUnit("s"),
		metric.WithDescription("Age of the oldest audit line not yet shipped; 0 when none waits."))
	shipped, err4 := m.Int64ObservableCounter(metricShipped, metric.WithUnit("{line}"),
		metric.WithDescription("Audit lines shipped since the shipper started."))
	lastErr, err5 := m.Float64ObservableGauge(metricLastError, metric.WithUnit("s"),
		metric.WithDescription("When the last shipping error happened, in seconds since the Unix epoch; absent before the first."))
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return nil, err
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		h := s.Health()
		o.ObserveInt64(lines, h.PendingLines)
		o.ObserveInt64(bytes, h.PendingBytes)
		age := 0.0
		if !h.OldestPending.IsZero() {
			age = max(0, s.cfg.now().Sub(h.OldestPending).Seconds())
		}
		o.ObserveFloat64(lag, age)
		o.ObserveInt64(shipped, h.ShippedLines)
		if !h.LastErrorAt.IsZero() {
			o.ObserveFloat64(lastErr, float64(h.LastErrorAt.UnixNano())/1e9)
		}
		return nil
	}, lines, bytes, lag, shipped, lastErr)
}

package ship_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/toolaudit/toolaudit/ship"
)

// TestShipMetrics: with the store down, the lines wait and the lag is the
// age of the oldest by the shipper's clock; once it is back they are
// shipped and the lag is 0. After Close nothing more is reported.
func TestShipMetrics(t *testing.T) {
	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())
	root, st := t.TempDir(), newMemStore()
	appendLines(t, root, "alice", "2026-11-29", 0, 3)
	clock := day0.Add(time.Minute) // 60 s after line 0's ts
	st.setDown(true)
	s := open(t, root, st, ship.WithMeterProvider(mp), ship.WithClock(func() time.Time { return clock }))
	require.Error(t, s.Sync(context.Background()))
	got := collect(t, rd)
	assert.Equal(t, 3.0, got["toolaudit.ship.lines.pending"])
	assert.Equal(t, 60.0, got["toolaudit.ship.lag"])
	assert.Equal(t, 0.0, got["toolaudit.ship.lines.shipped"])
	assert.Contains(t, got, "toolaudit.ship.last_error.time")

	st.setDown(false)
	require.NoError(t, s.Sync(context.Background()))
	got = collect(t, rd)
	assert.Equal(t, 0.0, got["toolaudit.ship.lines.pending"])
	assert.Equal(t, 0.0, got["toolaudit.ship.lag"])
	assert.Equal(t, 3.0, got["toolaudit.ship.lines.shipped"])
	require.NoError(t, s.Close(context.Background()))
	assert.Empty(t, collect(t, rd), "unregistered on Close")
}

// collect reads every metric's single value (sums and gauges).
func collect(t *testing.T, rd *sdkmetric.ManualReader) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, rd.Collect(context.Background(), &rm))
	out := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					out[m.Name] = float64(dp.Value)
				}
			case metricdata.Gauge[float64]:
				for _, dp := range d.DataPoints {
					out[m.Name] = dp.Value
				}
			}
		}
	}
	return out
}

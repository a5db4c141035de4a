package exporter_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit/exporter"
)

// health collects the exporter's instruments: name -> value, and name -> unit.
func health(t *testing.T, rd *sdkmetric.ManualReader) (map[string]float64, map[string]string) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, rd.Collect(context.Background(), &rm))
	vals, units := map[string]float64{}, map[string]string{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			units[m.Name] = m.Unit
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				require.Len(t, d.DataPoints, 1, m.Name)
				assert.True(t, d.IsMonotonic == (m.Name == "toolaudit.audit.lines.written" || m.Name == "toolaudit.audit.lines.failed"), m.Name)
				vals[m.Name] = float64(d.DataPoints[0].Value)
			case metricdata.Gauge[float64]:
				require.Len(t, d.DataPoints, 1, m.Name)
				vals[m.Name] = d.DataPoints[0].Value
			default:
				t.Fatalf("%s: unexpected %T", m.Name, m.Data)
			}
		}
	}
	return vals, units
}

func TestHealthMetrics(t *testing.T) {
	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())
	at := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithMeterProvider(mp),
		exporter.WithClock(func() time.Time { return at }), exporter.WithRetryInterval(time.Hour), exporter.WithMaxSpillBytes(600))
	require.NoError(t, err)
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)

	vals, _ := health(t, rd)
	assert.Equal(t, map[string]float64{
		"toolaudit.audit.lines.written": 0, "toolaudit.audit.lines.failed": 0,
		"toolaudit.audit.lines.pending": 0, "toolaudit.audit.files.open": 0,
	}, vals, "no last error before the first")

	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("amy", "x", `{}`, "ok", end, 1)}.Snapshots()))
	// A file where the user's folder should be: works as root too.
	require.NoError(t, os.WriteFile(filepath.Join(root, "frank"), []byte("in the way"), 0o600))
	err = exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("frank", "x", `{}`, "ok", end, 2), toolStub("frank", "y", `{}`, "ok", end, 3)}.Snapshots())
	require.Error(t, err)
	err = exp.ExportSpans(context.Background(), bigBatch(2, "frank"))
	require.ErrorContains(t, err, "given up, spill full")

	vals, units := health(t, rd)
	assert.Equal(t, map[string]float64{
		"toolaudit.audit.lines.written": 1, "toolaudit.audit.lines.failed": 2,
		"toolaudit.audit.lines.pending": 2, "toolaudit.audit.files.open": 1,
		"toolaudit.audit.last_error.time": float64(at.Unix()),
	}, vals)
	assert.Equal(t, map[string]string{
		"toolaudit.audit.lines.written": "{line}", "toolaudit.audit.lines.failed": "{line}",
		"toolaudit.audit.lines.pending": "{line}", "toolaudit.audit.files.open": "{file}",
		"toolaudit.audit.last_error.time": "s",
	}, units)

	// Recovery: the spill is written.
	require.NoError(t, os.Remove(filepath.Join(root, "frank")))
	require.NoError(t, exp.ForceFlush(context.Background()))
	vals, _ = health(t, rd)
	assert.Equal(t, 3.0, vals["toolaudit.audit.lines.written"])
	assert.Equal(t, 0.0, vals["toolaudit.audit.lines.pending"])
	assert.Equal(t, 2.0, vals["toolaudit.audit.files.open"])

	// Shutdown unregisters: the instruments report nothing more.
	require.NoError(t, exp.Shutdown(context.Background()))
	vals, _ = health(t, rd)
	assert.Empty(t, vals)
}

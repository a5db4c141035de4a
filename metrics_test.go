package toolaudit_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/audittest"
)

// meter returns a meter provider whose measurements the reader collects.
func meter(t *testing.T) (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	t.Helper()
	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp, rd
}

// durations collects gen_ai.execute_tool.duration: its data points by
// their attributes ("k=v,k=v", sorted), and the histogram's unit.
func durations(t *testing.T, rd *sdkmetric.ManualReader) (map[string]metricdata.HistogramDataPoint[float64], string) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, rd.Collect(context.Background(), &rm))
	points := map[string]metricdata.HistogramDataPoint[float64]{}
	unit := ""
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "gen_ai.execute_tool.duration" {
				continue
			}
			assert.Equal(t, toolaudit.ScopeName, sm.Scope.Name)
			unit = m.Unit
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				points[setKey(dp.Attributes)] = dp
			}
		}
	}
	return points, unit
}

func setKey(s attribute.Set) string {
	var kv []string
	for _, a := range s.ToSlice() {
		kv = append(kv, string(a.Key)+"="+a.Value.String())
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func counts(points map[string]metricdata.HistogramDataPoint[float64]) map[string]uint64 {
	c := map[string]uint64{}
	for k, dp := range points {
		c[k] = dp.Count
	}
	return c
}

func TestMetricsOutcomes(t *testing.T) {
	mp, rd := meter(t)
	tp, _ := recorder(t)
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithMeterProvider(mp),
		toolaudit.WithAuthorizer(func(_ context.Context, c toolaudit.Call) error {
			if c.User == "bob" {
				return errors.New("not bob")
			}
			return nil
		}))
	search := mw.Wrap("search", func(context.Context, map[string]any) (string, error) { return "ok", nil })
	fail := mw.Wrap("fail", func(context.Context, map[string]any) (string, error) { return "", errors.New("boom") })
	alice := toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "alice"), "openai", "gpt-5")
	bob := toolaudit.ContextWithUser(context.Background(), "bob")
	for range 3 {
		_, err := search(alice, nil)
		require.NoError(t, err)
	}
	_, err := search(bob, nil)
	require.ErrorIs(t, err, toolaudit.ErrDenied)
	_, err = fail(alice, nil)
	require.Error(t, err)
	_, err = mw.Invoke(alice, "mcp", nil, func(context.Context) (toolaudit.Result, error) {
		return toolaudit.Result{Text: "bad", IsError: true}, nil
	})
	require.NoError(t, err)
	_, err = mw.Invoke(alice, "mcp", nil, func(context.Context) (toolaudit.Result, error) {
		return toolaudit.Result{}, fmt.Errorf("inner: %w", toolaudit.ErrDenied)
	})
	require.ErrorIs(t, err, toolaudit.ErrDenied)
	require.Panics(t, func() {
		_, _ = mw.Invoke(alice, "mcp", nil, func(context.Context) (toolaudit.Result, error) { panic("oops") })
	})

	points, unit := durations(t, rd)
	assert.Equal(t, "s", unit)
	assert.Equal(t, map[string]uint64{
		"gen_ai.tool.name=search,toolaudit.status=ok":                                 3,
		"gen_ai.tool.name=search,toolaudit.status=denied":                             1,
		"error.type=*errors.errorString,gen_ai.tool.name=fail,toolaudit.status=error": 1,
		"error.type=tool_error,gen_ai.tool.name=mcp,toolaudit.status=error":           1,
		"gen_ai.tool.name=mcp,toolaudit.status=denied":                                1,
		"error.type=panic,gen_ai.tool.name=mcp,toolaudit.status=error":                1,
	}, counts(points), "no user, engine or model by default; error.type only on errors")
	dp := points["gen_ai.tool.name=search,toolaudit.status=ok"]
	assert.Equal(t, []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}, dp.Bounds,
		"the conventions' advice")
	assert.Greater(t, dp.Sum, 0.0)
	assert.Less(t, dp.Sum, 1.0)
}

func TestMetricsUserAndRun(t *testing.T) {
	mp, rd := meter(t)
	tp, _ := recorder(t)
	search := toolaudit.Wrap("search", func(context.Context, map[string]any) (string, error) { return "ok", nil },
		toolaudit.WithTracerProvider(tp), toolaudit.WithMeterProvider(mp), toolaudit.WithMetricUser(), toolaudit.WithMetricRun())
	_, err := search(toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "alice"), "openai", "gpt-5"), nil)
	require.NoError(t, err)
	_, err = search(toolaudit.ContextWithUser(context.Background(), "bob"), nil)
	require.NoError(t, err)
	points, _ := durations(t, rd)
	assert.Equal(t, map[string]uint64{
		"enduser.id=alice,gen_ai.provider.name=openai,gen_ai.request.model=gpt-5,gen_ai.tool.name=search,toolaudit.status=ok": 1,
		"enduser.id=bob,gen_ai.tool.name=search,toolaudit.status=ok":                                                          1,
	}, counts(points))
}

// TestMetricsGlobalLater builds the middleware before a global meter
// provider is installed: its calls are still measured.
func TestMetricsGlobalLater(t *testing.T) {
	tp, _ := recorder(t)
	search := toolaudit.Wrap("search", func(context.Context, map[string]any) (string, error) { return "ok", nil },
		toolaudit.WithTracerProvider(tp))
	mp, rd := meter(t)
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(mp)
	t.Cleanup(func() { otel.SetMeterProvider(prev) })
	_, err := search(context.Background(), nil)
	require.NoError(t, err)
	points, _ := durations(t, rd)
	assert.Equal(t, map[string]uint64{"gen_ai.tool.name=search,toolaudit.status=ok": 1}, counts(points))
}

// TestMetricsInvokeNamesBounded calls Invoke with more names than it
// remembers: the names past the bound are measured as _OTHER.
func TestMetricsInvokeNamesBounded(t *testing.T) {
	mp, rd := meter(t)
	tp, _ := recorder(t)
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithMeterProvider(mp))
	const names = 1100
	for i := range names {
		_, err := mw.Invoke(context.Background(), fmt.Sprintf("tool%d", i), nil, func(context.Context) (toolaudit.Result, error) {
			return toolaudit.Result{}, nil
		})
		require.NoError(t, err)
	}
	c := counts(func() map[string]metricdata.HistogramDataPoint[float64] { p, _ := durations(t, rd); return p }())
	assert.Len(t, c, 1024+1, "1024 names remembered, then _OTHER")
	assert.Equal(t, uint64(names-1024), c["gen_ai.tool.name=_OTHER,toolaudit.status=ok"])
	assert.Equal(t, uint64(1), c["gen_ai.tool.name=tool0,toolaudit.status=ok"])
}

// TestMetricsNoAllocation: measuring a call allocates nothing, whether the
// provider is the SDK's or a no-op one.
func TestMetricsNoAllocation(t *testing.T) {
	tp, _ := recorder(t)
	mp, _ := meter(t)
	allocs := func(opts ...toolaudit.Option) float64 {
		mw := toolaudit.New(append([]toolaudit.Option{toolaudit.WithTracerProvider(tp)}, opts...)...)
		tool := mw.Wrap("search", func(context.Context, map[string]any) (string, error) { return "ok", nil })
		ctx := toolaudit.ContextWithUser(context.Background(), "alice")
		args := map[string]any{"q": "x"}
		return testing.AllocsPerRun(200, func() { _, _ = tool(ctx, args) })
	}
	without := allocs(toolaudit.WithMeterProvider(noop.NewMeterProvider()))
	with := allocs(toolaudit.WithMeterProvider(mp))
	assert.Equal(t, without, with, "allocations per call with metrics, against a no-op meter")
}

// countingMP counts the meters asked of it.
type countingMP struct {
	metric.MeterProvider
	n atomic.Int32
}

func (c *countingMP) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	c.n.Add(1)
	return c.MeterProvider.Meter(name, opts...)
}

// TestMetricsPerCallOptions: a per-call option of Invoke that leaves the
// metric options alone keeps the middleware's instruments (it built a
// meter and a histogram on every call, found in review); one that changes
// them gets its own, and its measurements carry what it asked for.
func TestMetricsPerCallOptions(t *testing.T) {
	sdk, rd := meter(t)
	mp := &countingMP{MeterProvider: sdk}
	tp, _ := audittest.NewRecorder()
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithMeterProvider(mp))
	ctx := context.Background()
	run := func(context.Context) (toolaudit.Result, error) { return toolaudit.Result{Text: "ok"}, nil }
	for range 100 {
		_, err := mw.Invoke(ctx, "search", map[string]any{}, run, toolaudit.WithUser("bob"))
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, mp.n.Load(), int32(1), "meters asked for 100 calls")
	_, err := mw.Invoke(ctx, "search", map[string]any{}, run, toolaudit.WithUser("bob"), toolaudit.WithMetricUser())
	require.NoError(t, err)
	points, _ := durations(t, rd)
	assert.Equal(t, map[string]uint64{
		"gen_ai.tool.name=search,toolaudit.status=ok":                100,
		"enduser.id=bob,gen_ai.tool.name=search,toolaudit.status=ok": 1,
	}, counts(points))
}

package toolaudit_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
)

// discard is the floor's exporter: it drops what it gets.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

var benchArgs = map[string]any{"query": "opening hours of the café near the station", "limit": 10}

// BenchmarkCallOverhead compares a wrapped no-op tool through the whole
// audit pipeline (span, attributes, audit processor, JSON line appended to
// a file) with the floor: a bare OpenTelemetry span with the same
// attributes, ended into an exporter that discards it.
//
// The heap=32MB/ rows run ours and the floor again while the process keeps
// 32 MB live, as an agent holding its model client and conversations does:
// on a nearly empty heap the garbage collector's 4 MB minimum goal makes
// every byte the pipeline keeps alive show up as extra collections.
//
// The tool=30us/ rows run ours and the floor again with a tool that works
// 30 µs (a busy loop) instead of returning at once: calls are no longer
// back to back.
//
// The metrics=on/ours row is the whole pipeline with a meter provider (the
// SDK's, read by a ManualReader) measuring gen_ai.execute_tool.duration; its
// baseline, metrics=on/baseline, is the whole pipeline without one (the
// global no-op meter): their ratio is the cost of the metrics.
//
// The wait=export row is the whole pipeline with otelx.WithWaitForExport: a
// call returns once its line is written.
//
// The parts/ rows take the pipeline apart, each against the same floor:
// the middleware alone (into the floor's provider), and the middleware with
// the audit processor and its goroutine (into an exporter that discards).
func BenchmarkCallOverhead(b *testing.B) {
	b.Run("ours", benchCallOurs(0))
	b.Run("baseline", benchCallFloor(0))
	b.Run("heap=32MB", func(b *testing.B) {
		live := make([]byte, 32<<20)
		b.Run("ours", benchCallOurs(0))
		b.Run("baseline", benchCallFloor(0))
		runtime.KeepAlive(live)
	})
	b.Run("tool=30us", func(b *testing.B) {
		b.Run("ours", benchCallOurs(30*time.Microsecond))
		b.Run("baseline", benchCallFloor(30*time.Microsecond))
	})
	b.Run("metrics=on", func(b *testing.B) {
		b.Run("ours", benchCallOurs(0, withMeter()))
		b.Run("baseline", benchCallOurs(0))
	})
	b.Run("wait=export", benchCallOurs(0, otelx.WithWaitForExport()))
	b.Run("parts", func(b *testing.B) {
		b.Run("middleware", func(b *testing.B) {
			benchCall(b, sdktrace.NewTracerProvider(sdktrace.WithSyncer(discard{})), 0)
		})
		b.Run("processor", func(b *testing.B) {
			tp, err := otelx.NewTracerProvider(discard{})
			require.NoError(b, err)
			benchCall(b, tp, 0)
			require.NoError(b, tp.Shutdown(context.Background()))
		})
	})
}

// work keeps the processor busy for d, as a tool computing would.
func work(d time.Duration) {
	if d == 0 {
		return
	}
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

var benchCtx = toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "alice"), "anthropic", "claude-sonnet-4-5")

// benchCall calls a wrapped tool that works d through tp, with opts.
func benchCall(b *testing.B, tp trace.TracerProvider, d time.Duration, opts ...toolaudit.Option) {
	tool := toolaudit.Wrap("search", func(context.Context, map[string]any) (string, error) { work(d); return "3 results", nil },
		append([]toolaudit.Option{toolaudit.WithTracerProvider(tp)}, opts...)...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tool(benchCtx, benchArgs); err != nil {
			b.Fatal(err)
		}
	}
}

// benchOption is an otelx option, or the meter of the metrics=on rows.
type benchOption any

// meterOn asks benchCallOurs for an SDK meter provider.
type meterOn struct{}

func withMeter() benchOption { return meterOn{} }

// benchCallOurs is the whole pipeline, every line checked on disk, with a
// tool that works d, the provider made with opts (and, with withMeter, the
// calls measured and the measurements checked).
func benchCallOurs(d time.Duration, opts ...benchOption) func(*testing.B) {
	return func(b *testing.B) {
		var tpOpts []otelx.Option
		var rd *sdkmetric.ManualReader
		var mwOpts []toolaudit.Option
		for _, o := range opts {
			switch o := o.(type) {
			case otelx.Option:
				tpOpts = append(tpOpts, o)
			case meterOn:
				rd = sdkmetric.NewManualReader()
				mwOpts = append(mwOpts, toolaudit.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))))
			}
		}
		exp, err := exporter.New(b.TempDir())
		require.NoError(b, err)
		tp, err := otelx.NewTracerProvider(exp, tpOpts...)
		require.NoError(b, err)
		benchCall(b, tp, d, mwOpts...)
		require.NoError(b, tp.Shutdown(context.Background()))
		if got := exp.Health().LinesWritten; got < uint64(b.N) {
			b.Fatalf("%d lines written for %d calls", got, b.N)
		}
		if rd != nil {
			var rm metricdata.ResourceMetrics
			require.NoError(b, rd.Collect(context.Background(), &rm))
			n := rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Histogram[float64]).DataPoints[0].Count
			if n < uint64(b.N) {
				b.Fatalf("%d calls measured of %d", n, b.N)
			}
		}
	}
}

// benchCallFloor is a bare span with the same attributes, ended into an
// exporter that discards it, around a tool that works d.
func benchCallFloor(d time.Duration) func(*testing.B) {
	return func(b *testing.B) { floor(b, d) }
}

func floor(b *testing.B, d time.Duration) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(discard{}))
	tr := tp.Tracer(toolaudit.ScopeName)
	args := `{"limit":10,"query":"opening hours of the café near the station"}`
	b.ReportAllocs()
	for b.Loop() {
		_, span := tr.Start(benchCtx, "execute_tool search", trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(
			spanattr.KeyOperationName.String(spanattr.OperationExecuteTool),
			spanattr.KeyToolName.String("search"),
			spanattr.KeyProviderName.String("anthropic"),
			spanattr.KeyRequestModel.String("claude-sonnet-4-5"),
			spanattr.KeyEndUserID.String("alice"),
		))
		work(d) // the tool
		span.SetAttributes(spanattr.KeyToolCallArguments.String(args))
		span.SetAttributes(
			spanattr.KeyStatus.String("ok"),
			spanattr.KeyResultChars.Int(9),
			spanattr.KeyToolCallResult.String("3 results"),
		)
		span.End()
	}
}

// BenchmarkThroughput runs 8 goroutines calling wrapped tools for 4 users
// through the whole pipeline and reports calls per second, end to end: the
// time includes writing every line (checked on the exporter).
//
// The wait=export row does the same with otelx.WithWaitForExport: each call
// returns once its line is written. The chain=off row writes lines without
// their hash-chain link (exporter.WithChain(false)).
func BenchmarkThroughput(b *testing.B) {
	b.Run("ours", benchThroughput(true))
	b.Run("wait=export", benchThroughput(true, otelx.WithWaitForExport()))
	b.Run("chain=off", benchThroughput(false))
}

func benchThroughput(chain bool, opts ...otelx.Option) func(*testing.B) {
	return func(b *testing.B) {
		exp, err := exporter.New(b.TempDir(), exporter.WithChain(chain))
		require.NoError(b, err)
		tp, err := otelx.NewTracerProvider(exp, opts...)
		require.NoError(b, err)
		tool := toolaudit.Wrap("search", func(context.Context, map[string]any) (string, error) { return "3 results", nil },
			toolaudit.WithTracerProvider(tp))
		const goroutines = 8
		b.ReportAllocs()
		b.ResetTimer()
		var wg sync.WaitGroup
		for g := range goroutines {
			n := b.N / goroutines
			if g < b.N%goroutines {
				n++
			}
			wg.Go(func() {
				ctx := toolaudit.ContextWithUser(context.Background(), fmt.Sprintf("user%d", g%4))
				for range n {
					if _, err := tool(ctx, benchArgs); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		require.NoError(b, tp.ForceFlush(context.Background()))
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		require.NoError(b, tp.Shutdown(context.Background()))
		if got := exp.Health().LinesWritten; got != uint64(b.N) {
			b.Fatalf("%d lines on disk for %d calls", got, b.N)
		}
	}
}

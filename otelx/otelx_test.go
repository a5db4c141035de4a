package otelx_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolaudit/toolaudit/otelx"
)

func startTool(ctx context.Context, tr trace.Tracer) trace.Span {
	_, span := tr.Start(ctx, "execute_tool t", trace.WithAttributes(spanattr.KeyOperationName.String(spanattr.OperationExecuteTool)))
	return span
}

// slowExporter records what it receives, taking its time.
type slowExporter struct {
	delay    time.Duration
	mu       sync.Mutex
	spans    []sdktrace.ReadOnlySpan
	batches  int
	maxBatch int
	shut     atomic.Bool
}

func (e *slowExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	time.Sleep(e.delay)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.spans = append(e.spans, spans...)
	e.batches++
	e.maxBatch = max(e.maxBatch, len(spans))
	return nil
}

func (e *slowExporter) Shutdown(context.Context) error { e.shut.Store(true); return nil }

func (e *slowExporter) count() int { e.mu.Lock(); defer e.mu.Unlock(); return len(e.spans) }

func TestSamplingDoesNotThinTheAudit(t *testing.T) {
	audit := &slowExporter{}
	forwarded := tracetest.NewInMemoryExporter()
	tp, err := otelx.NewTracerProvider(audit,
		otelx.WithSampler(sdktrace.TraceIDRatioBased(0.01)),
		otelx.WithForwarder(forwarded, sdktrace.WithMaxQueueSize(20000), sdktrace.WithBlocking()))
	require.NoError(t, err)
	tr := tp.Tracer("test")
	const calls = 10000
	for range calls {
		startTool(context.Background(), tr).End()
		// Spans that are not tool spans follow the sampler only.
		_, other := tr.Start(context.Background(), "GET /")
		other.End()
	}
	require.NoError(t, tp.ForceFlush(context.Background()))
	spans := forwarded.GetSpans() // the in-memory exporter forgets them on shutdown
	require.NoError(t, tp.Shutdown(context.Background()))

	assert.Equal(t, calls, audit.count(), "every tool span reaches the audit")
	tools, others := 0, 0
	for _, s := range spans {
		if spanattr.IsToolSpan(s.Attributes) {
			tools++
		} else {
			others++
		}
	}
	// 1% of 10,000 is 100; the trace ids are random, so allow a wide band.
	assert.InDelta(t, 100, tools, 60, "the backend gets the sampled share of tool spans")
	assert.InDelta(t, 100, others, 60)
	assert.True(t, audit.shut.Load(), "provider shutdown shuts the audit exporter down")
}

func TestAuditSamplerKeepsDecisionsItNeedNotChange(t *testing.T) {
	s := otelx.AuditSampler(sdktrace.NeverSample())
	tool := s.ShouldSample(sdktrace.SamplingParameters{Name: "execute_tool x", Attributes: []attribute.KeyValue{spanattr.KeyOperationName.String("execute_tool")}})
	assert.Equal(t, sdktrace.RecordOnly, tool.Decision)
	other := s.ShouldSample(sdktrace.SamplingParameters{Name: "chat", Attributes: []attribute.KeyValue{spanattr.KeyOperationName.String("chat")}})
	assert.Equal(t, sdktrace.Drop, other.Decision)
	kept := otelx.AuditSampler(sdktrace.AlwaysSample()).ShouldSample(sdktrace.SamplingParameters{Attributes: []attribute.KeyValue{spanattr.KeyOperationName.String("execute_tool")}})
	assert.Equal(t, sdktrace.RecordAndSample, kept.Decision)
	assert.Equal(t, "AuditSampler{AlwaysOffSampler}", s.Description())
}

func TestBackPressureNotDrops(t *testing.T) {
	audit := &slowExporter{delay: 2 * time.Millisecond}
	tp, err := otelx.NewTracerProvider(audit, otelx.WithMaxQueue(8))
	require.NoError(t, err)
	tr := tp.Tracer("test")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 250 {
				startTool(context.Background(), tr).End()
			}
		})
	}
	wg.Wait()
	require.NoError(t, tp.ForceFlush(context.Background()))
	assert.Equal(t, 2000, audit.count(), "ForceFlush returns once everything ended is exported")
	audit.mu.Lock()
	assert.Greater(t, audit.batches, 1)
	assert.LessOrEqual(t, audit.maxBatch, 8, "never more queued than the bound")
	audit.mu.Unlock()
	require.NoError(t, tp.Shutdown(context.Background()))
}

func TestForceFlushHonoursContext(t *testing.T) {
	audit := &slowExporter{delay: 200 * time.Millisecond}
	p := otelx.NewAuditProcessor(audit)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	startTool(context.Background(), tp.Tracer("t")).End()
	startTool(context.Background(), tp.Tracer("t")).End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := p.ForceFlush(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "still queued")
	require.NoError(t, tp.Shutdown(context.Background()))
	assert.Equal(t, 2, audit.count(), "shutdown still writes them")
}

func TestStdoutForwarder(t *testing.T) {
	var buf bytes.Buffer
	tp, err := otelx.NewTracerProvider(nil, otelx.WithStdout(&buf))
	require.NoError(t, err)
	startTool(context.Background(), tp.Tracer("t")).End()
	require.NoError(t, tp.Shutdown(context.Background()))
	assert.Contains(t, buf.String(), `"Name": "execute_tool t"`)
	assert.Contains(t, buf.String(), `"gen_ai.operation.name"`)
}

func TestForwardersGetContentOnlyWhenOptedIn(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		opts    []otelx.Option
		content bool
	}{
		{"default", "", nil, false},
		{"env true", "true", nil, true},
		{"env TRUE", "TRUE", nil, true},
		{"env false", "false", nil, false},
		{"option on", "", []otelx.Option{otelx.WithContentCapture(true)}, true},
		{"option off beats env", "true", []otelx.Option{otelx.WithContentCapture(false)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", tt.env)
			audit := &slowExporter{}
			fwd := tracetest.NewInMemoryExporter()
			tp, err := otelx.NewTracerProvider(audit, append(tt.opts, otelx.WithForwarder(fwd))...)
			require.NoError(t, err)
			_, span := tp.Tracer("t").Start(context.Background(), "execute_tool x", trace.WithAttributes(
				spanattr.KeyOperationName.String(spanattr.OperationExecuteTool),
				spanattr.KeyToolCallArguments.String(`{"q":"private"}`),
				spanattr.KeyToolCallResult.String("private result"),
				spanattr.KeyToolName.String("x")))
			span.End()
			require.NoError(t, tp.ForceFlush(context.Background()))
			spans := fwd.GetSpans()
			require.Len(t, spans, 1)
			keys := map[attribute.Key]bool{}
			for _, kv := range spans[0].Attributes {
				keys[kv.Key] = true
			}
			assert.Equal(t, tt.content, keys[spanattr.KeyToolCallArguments])
			assert.Equal(t, tt.content, keys[spanattr.KeyToolCallResult])
			assert.True(t, keys[spanattr.KeyToolName], "other attributes stay")
			audit.mu.Lock()
			assert.Len(t, audit.spans[0].Attributes(), 4, "the audit always has the content")
			audit.mu.Unlock()
			require.NoError(t, tp.Shutdown(context.Background()))
		})
	}
}

// maxForwardedContent is NewTracerProvider's documented cut of content.
const maxForwardedContent = 64 << 10

// TestForwardedContentCut captures content with arguments larger than
// maxForwardedContent: the forwarder gets them cut at a UTF-8 boundary,
// the audit whole, and a small result as it is.
func TestForwardedContentCut(t *testing.T) {
	audit := &slowExporter{}
	fwd := tracetest.NewInMemoryExporter()
	tp, err := otelx.NewTracerProvider(audit, otelx.WithContentCapture(true), otelx.WithForwarder(fwd))
	require.NoError(t, err)
	// 'é' is two bytes and the limit is even: after the opening quote, the
	// limit falls inside one.
	args := `{"q":"` + strings.Repeat("é", maxForwardedContent) + `"}`
	_, span := tp.Tracer("t").Start(context.Background(), "execute_tool x", trace.WithAttributes(
		spanattr.KeyOperationName.String(spanattr.OperationExecuteTool),
		spanattr.KeyToolCallArguments.String(args),
		spanattr.KeyToolCallResult.String("small result"),
		spanattr.KeyToolName.String("x")))
	span.End()
	require.NoError(t, tp.ForceFlush(context.Background()))
	defer func() { require.NoError(t, tp.Shutdown(context.Background())) }()

	spans := fwd.GetSpans()
	require.Len(t, spans, 1)
	got := spanattr.Read(spans[0].Attributes)
	assert.True(t, strings.HasSuffix(got.Arguments, "…"), "cut arguments end with an ellipsis")
	cut := strings.TrimSuffix(got.Arguments, "…")
	assert.LessOrEqual(t, len(cut), maxForwardedContent)
	assert.Greater(t, len(cut), maxForwardedContent-4, "cut at the limit, not far before it")
	assert.True(t, utf8.ValidString(got.Arguments), "cut on a UTF-8 boundary")
	assert.True(t, strings.HasPrefix(args, cut))
	assert.Equal(t, "small result", got.Result)
	assert.Equal(t, "x", got.Tool)

	audit.mu.Lock()
	defer audit.mu.Unlock()
	assert.Equal(t, args, spanattr.Read(audit.spans[0].Attributes()).Arguments, "the audit gets the whole value")
}

// TestReadToolCall reads every field, from keys that share no memory with
// the constants, and ignores keys of the same length that are not ours.
func TestReadToolCall(t *testing.T) {
	fresh := func(k attribute.Key) attribute.Key { return attribute.Key(string([]byte(k))) }
	// Each foreign key comes after the key of ours it could be taken for.
	attrs := []attribute.KeyValue{
		fresh(spanattr.KeyOperationName).String(spanattr.OperationExecuteTool),
		fresh(spanattr.KeyToolName).String("search"),
		attribute.String("gen_ai.tool.nam_", "not the tool"), // the length of KeyToolName and KeyStatus
		fresh(spanattr.KeyToolCallID).String("toolu_01"),
		fresh(spanattr.KeyToolCallArguments).String(`{"q":"x"}`),
		fresh(spanattr.KeyToolCallResult).String("3 results"),
		fresh(spanattr.KeyProviderName).String("anthropic"),
		fresh(spanattr.KeyRequestModel).String("claude"),
		attribute.String("gen_ai.request.mode_", "not the model"), // the length of KeyProviderName and KeyRequestModel
		fresh(spanattr.KeyEndUserID).String("alice"),
		fresh(spanattr.KeyErrorType).String("not the user"), // the length of KeyEndUserID
		fresh(spanattr.KeyStatus).String("denied"),
		attribute.String("toolaudit.statu_", "not the status"),
		fresh(spanattr.KeyResultChars).Int(9),
		attribute.Int("toolaudit.result_charz", 1),
	}
	assert.Equal(t, spanattr.ToolCall{
		Tool: "search", CallID: "toolu_01", Arguments: `{"q":"x"}`, Result: "3 results", Engine: "anthropic",
		Model: "claude", User: "alice", Status: "denied", ResultChars: 9,
	}, spanattr.Read(attrs))
	assert.True(t, spanattr.IsToolSpan(attrs))
	assert.Equal(t, spanattr.ToolCall{Tool: "t"}, spanattr.Read([]attribute.KeyValue{spanattr.KeyToolName.String("t")}), "missing ones stay zero")
	assert.Equal(t, spanattr.ToolCall{}, spanattr.Read(nil))
}

// BenchmarkReadToolCall reads the call of 512 tool spans' attributes, as
// the exporter does for each line (after IsToolSpan); the baseline only
// walks the same attributes.
func BenchmarkReadToolCall(b *testing.B) {
	spans := make([][]attribute.KeyValue, 512)
	for i := range spans {
		spans[i] = []attribute.KeyValue{
			spanattr.KeyOperationName.String(spanattr.OperationExecuteTool),
			spanattr.KeyToolName.String("search"),
			spanattr.KeyProviderName.String("anthropic"),
			spanattr.KeyRequestModel.String("claude"),
			spanattr.KeyEndUserID.String("user" + strconv.Itoa(i%4)),
			spanattr.KeyToolCallArguments.String(`{"q":"x"}`),
			spanattr.KeyStatus.String("ok"),
			spanattr.KeyResultChars.Int(5),
			spanattr.KeyToolCallResult.String("hello"),
		}
	}
	b.Run("ours", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for _, attrs := range spans {
				if spanattr.IsToolSpan(attrs) {
					n += len(spanattr.Read(attrs).User)
				}
			}
		}
		require.Positive(b, n)
	})
	b.Run("baseline", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for _, attrs := range spans {
				for i := range attrs {
					n += len(attrs[i].Key)
				}
			}
		}
		require.Positive(b, n)
	})
}

// TestSpanLimitsCutForwardersNotTheAudit sets span limits in the
// environment, as an operator does for a tracing backend: the audit gets
// every attribute whole, and a forwarder gets what a provider applying
// those limits when recording would have kept.
func TestSpanLimitsCutForwardersNotTheAudit(t *testing.T) {
	t.Setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "12")
	t.Setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "4")
	audit := &slowExporter{}
	fwd := tracetest.NewInMemoryExporter()
	tp, err := otelx.NewTracerProvider(audit, otelx.WithContentCapture(true), otelx.WithForwarder(fwd))
	require.NoError(t, err)
	reference := tracetest.NewInMemoryExporter()
	referenceTP := sdktrace.NewTracerProvider(sdktrace.WithSyncer(reference)) // reads the same limits

	start := []attribute.KeyValue{
		spanattr.KeyOperationName.String(spanattr.OperationExecuteTool),
		spanattr.KeyToolName.String("search"),
		spanattr.KeyProviderName.String("anthropic"),
		spanattr.KeyRequestModel.String("claude-sonnet-4-5"),
		spanattr.KeyEndUserID.String("alice"),
	}
	end := []attribute.KeyValue{
		spanattr.KeyToolCallArguments.String(`{"q":"opening hours of the café near the station"}`),
		spanattr.KeyStatus.String("denied"),
		spanattr.KeyResultChars.Int(37),
		spanattr.KeyToolCallResult.String("shell is for admins, not for you"),
		attribute.StringSlice("tags", []string{"a tag longer than twelve", "b"}),
	}
	record := func(tr trace.Tracer) {
		_, span := tr.Start(context.Background(), "execute_tool search", trace.WithAttributes(start...))
		span.SetAttributes(end...)
		span.End()
		_, other := tr.Start(context.Background(), "GET", trace.WithAttributes(attribute.String("url.full", "https://example.com/a/long/path")))
		other.End()
	}
	record(tp.Tracer("t"))
	record(referenceTP.Tracer("t"))
	require.NoError(t, tp.ForceFlush(context.Background()))
	defer func() { require.NoError(t, tp.Shutdown(context.Background())) }()

	audit.mu.Lock()
	require.Len(t, audit.spans, 1)
	assert.ElementsMatch(t, append(slices.Clone(start), end...), audit.spans[0].Attributes(), "the audit gets every attribute whole")
	assert.Zero(t, audit.spans[0].DroppedAttributes())
	audit.mu.Unlock()

	got, want := fwd.GetSpans(), reference.GetSpans()
	require.Len(t, got, 2)
	require.Len(t, want, 2)
	for i := range want {
		assert.Equal(t, want[i].Name, got[i].Name)
		assert.Equal(t, want[i].Attributes, got[i].Attributes, "span %s limited as the SDK does when recording", want[i].Name)
		assert.Equal(t, want[i].DroppedAttributes, got[i].DroppedAttributes, "span %s", want[i].Name)
	}
	// The limits did something: the tool span kept 4 attributes of 10, the
	// URL was cut to 12 characters.
	assert.Len(t, got[0].Attributes, 4)
	assert.Equal(t, 6, got[0].DroppedAttributes)
	assert.Equal(t, "https://exam", got[1].Attributes[0].Value.AsString())
}

// TestWaitForExport checks that with WaitForExport a tool span's End
// returns only once the exporter has it, for concurrent callers too.
func TestWaitForExport(t *testing.T) {
	audit := &slowExporter{delay: 5 * time.Millisecond}
	tp, err := otelx.NewTracerProvider(audit, otelx.WithWaitForExport())
	require.NoError(t, err)
	defer func() { require.NoError(t, tp.Shutdown(context.Background())) }()
	tr := tp.Tracer("t")
	has := func(id trace.SpanID) bool {
		audit.mu.Lock()
		defer audit.mu.Unlock()
		for _, s := range audit.spans {
			if s.SpanContext().SpanID() == id {
				return true
			}
		}
		return false
	}
	const goroutines, calls = 8, 20
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range calls {
				span := startTool(context.Background(), tr)
				span.End()
				assert.True(t, has(span.SpanContext().SpanID()), "exported before End returned")
			}
		})
	}
	wg.Wait()
	audit.mu.Lock()
	defer audit.mu.Unlock()
	assert.Len(t, audit.spans, goroutines*calls)
	assert.Less(t, audit.batches, goroutines*calls, "calls that end while a write is under way share the next one")
}

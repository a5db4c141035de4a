package otelx

import (
	"context"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// envCaptureContent is the environment variable of the GenAI semantic
// conventions that opts in to content capture: when it is "true", spans
// forwarded to tracing backends keep the tool call arguments and result.
const envCaptureContent = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

// contentKeys are the attributes that hold content: opt-in for backends.
var contentKeys = [...]attribute.Key{spanattr.KeyToolCallArguments, spanattr.KeyToolCallResult}

func isContent(k attribute.Key) bool {
	for _, c := range contentKeys {
		if k == c {
			return true
		}
	}
	return false
}

// captureFromEnv reports whether envCaptureContent opts in.
func captureFromEnv() bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv(envCaptureContent)), "true")
}

// maxForwardedContent is the longest value, in bytes, of a content
// attribute that a forwarder of NewTracerProvider gets with content capture
// on: a longer one is cut at a UTF-8 boundary and ends with "…". Tracing
// backends refuse oversized batches whole (gRPC receivers take 4 MiB by
// default), and the arguments of one call can be far larger. The audit
// exporter always gets the whole value.
const maxForwardedContent = 64 << 10

// WithoutContent returns an exporter that forwards spans to exp without
// the content attributes gen_ai.tool.call.arguments and
// gen_ai.tool.call.result, which the GenAI conventions make opt-in. The
// spans are not modified: the exporter sees filtered views of them.
func WithoutContent(exp sdktrace.SpanExporter) sdktrace.SpanExporter {
	return contentFilter{SpanExporter: exp, limit: -1}
}

// contentFilter forwards spans with their content attributes dropped
// (limit < 0) or cut to limit bytes, and then, with a limiter, with the
// span limits the spans were recorded without.
type contentFilter struct {
	sdktrace.SpanExporter
	limit int
	lim   *limiter
}

// changes reports whether kv is a content attribute the filter changes.
func (f contentFilter) changes(kv attribute.KeyValue) bool {
	return isContent(kv.Key) && (f.limit < 0 || kv.Value.Type() == attribute.STRING && len(kv.Value.AsString()) > f.limit)
}

func (f contentFilter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := spans
	for i, s := range spans {
		attrs := s.Attributes()
		content := slices.ContainsFunc(attrs, f.changes)
		limited := f.lim != nil && f.lim.exceeds(attrs)
		if !content && !limited {
			continue
		}
		if &out[0] == &spans[0] {
			out = append([]sdktrace.ReadOnlySpan(nil), spans...)
		}
		if content {
			kept := make([]attribute.KeyValue, 0, len(attrs))
			for _, kv := range attrs {
				switch {
				case !f.changes(kv):
					kept = append(kept, kv)
				case f.limit >= 0:
					kept = append(kept, kv.Key.String(cutBytes(kv.Value.AsString(), f.limit)))
				}
			}
			attrs = kept
		}
		dropped := 0
		if limited && (!content || f.lim.exceeds(attrs)) {
			attrs, dropped = f.lim.apply(attrs)
		}
		out[i] = strippedSpan{ReadOnlySpan: s, attrs: attrs, dropped: dropped}
	}
	return f.SpanExporter.ExportSpans(ctx, out)
}

// cutBytes returns the longest prefix of s of at most n bytes (n < len(s))
// that ends on a UTF-8 boundary, followed by "…".
func cutBytes(s string, n int) string {
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// strippedSpan is a span seen with some of its attributes removed or
// changed; dropped counts those the span limits dropped.
type strippedSpan struct {
	sdktrace.ReadOnlySpan
	attrs   []attribute.KeyValue
	dropped int
}

func (s strippedSpan) Attributes() []attribute.KeyValue { return s.attrs }

func (s strippedSpan) DroppedAttributes() int { return s.ReadOnlySpan.DroppedAttributes() + s.dropped }

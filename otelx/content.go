package otelx

import (
	"context"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// EnvCaptureContent is the environment variable of the GenAI semantic
// conventions that opts in to content capture: when it is "true", spans
// forwarded to tracing backends keep the tool call arguments and result.
const EnvCaptureContent = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

// contentKeys are the attributes that hold content: opt-in for backends.
var contentKeys = [...]attribute.Key{KeyToolCallArguments, KeyToolCallResult}

func isContent(k attribute.Key) bool {
	for _, c := range contentKeys {
		if k == c {
			return true
		}
	}
	return false
}

// captureFromEnv reports whether EnvCaptureContent opts in.
func captureFromEnv() bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv(EnvCaptureContent)), "true")
}

// WithoutContent returns an exporter that forwards spans to exp without
// the content attributes gen_ai.tool.call.arguments and
// gen_ai.tool.call.result, which the GenAI conventions make opt-in. The
// spans are not modified: the exporter sees filtered views of them.
func WithoutContent(exp sdktrace.SpanExporter) sdktrace.SpanExporter {
	return withoutContent{exp}
}

type withoutContent struct{ sdktrace.SpanExporter }

func (w withoutContent) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := spans
	for i, s := range spans {
		attrs := s.Attributes()
		n := 0
		for _, kv := range attrs {
			if isContent(kv.Key) {
				n++
			}
		}
		if n == 0 {
			continue
		}
		if &out[0] == &spans[0] {
			out = append([]sdktrace.ReadOnlySpan(nil), spans...)
		}
		kept := make([]attribute.KeyValue, 0, len(attrs)-n)
		for _, kv := range attrs {
			if !isContent(kv.Key) {
				kept = append(kept, kv)
			}
		}
		out[i] = strippedSpan{ReadOnlySpan: s, attrs: kept}
	}
	return w.SpanExporter.ExportSpans(ctx, out)
}

// strippedSpan is a span seen without some of its attributes.
type strippedSpan struct {
	sdktrace.ReadOnlySpan
	attrs []attribute.KeyValue
}

func (s strippedSpan) Attributes() []attribute.KeyValue { return s.attrs }

package otelx

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// minRecordedAttributes is the fewest attributes NewTracerProvider records
// per span, whatever OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT says: a tool span has
// up to eleven, and each is part of its audit line.
const minRecordedAttributes = sdktrace.DefaultAttributeCountLimit

// recordingLimits returns the span limits NewTracerProvider records with:
// env's (the SDK's, from OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT and the
// like), except that attribute values are not cut and at least
// minRecordedAttributes attributes are kept. Limits meant for tracing
// backends would otherwise cut the audit: arguments cut mid-JSON, a status
// or a user dropped. The forwarders apply env's limits (see limiter).
func recordingLimits(env sdktrace.SpanLimits) sdktrace.SpanLimits {
	rec := env
	rec.AttributeValueLengthLimit = -1
	if rec.AttributeCountLimit >= 0 && rec.AttributeCountLimit < minRecordedAttributes {
		rec.AttributeCountLimit = minRecordedAttributes
	}
	return rec
}

// limiter applies span attribute limits to spans recorded without them, as
// the SDK would have at recording: it sets the attributes on a span of a
// tracer provider with those limits (and no processor) and reads them back,
// so the result is the SDK's own (values cut, attributes beyond the count
// dropped, with their number).
type limiter struct {
	limits sdktrace.SpanLimits
	tracer trace.Tracer
}

func newLimiter(limits sdktrace.SpanLimits) *limiter {
	tp := sdktrace.NewTracerProvider(sdktrace.WithRawSpanLimits(limits), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	return &limiter{limits: limits, tracer: tp.Tracer("github.com/toolaudit/toolaudit/otelx/limits")}
}

// exceeds reports whether the limits could change attrs. It errs towards
// true for values it cannot measure cheaply.
func (l *limiter) exceeds(attrs []attribute.KeyValue) bool {
	if l.limits.AttributeCountLimit >= 0 && len(attrs) > l.limits.AttributeCountLimit {
		return true
	}
	n := l.limits.AttributeValueLengthLimit
	if n < 0 {
		return false
	}
	for _, kv := range attrs {
		switch kv.Value.Type() {
		case attribute.STRING:
			// A string of at most n bytes has at most n characters.
			if len(kv.Value.AsString()) > n {
				return true
			}
		case attribute.BOOL, attribute.INT64, attribute.FLOAT64, attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE:
		default:
			return true
		}
	}
	return false
}

// apply returns attrs limited, and how many attributes were dropped.
func (l *limiter) apply(attrs []attribute.KeyValue) ([]attribute.KeyValue, int) {
	_, span := l.tracer.Start(context.Background(), "limits")
	defer span.End()
	span.SetAttributes(attrs...)
	ro, ok := span.(sdktrace.ReadOnlySpan)
	if !ok {
		return attrs, 0
	}
	return ro.Attributes(), ro.DroppedAttributes()
}

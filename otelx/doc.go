// Package otelx is the OpenTelemetry glue of toolaudit: a sampler and a span
// processor that keep the audit complete whatever the sampling ratio, and a
// tracer provider wired for auditing that also forwards spans to tracing
// backends. That provider records tool spans whole whatever the span limits
// set for backends (which it applies to the forwarders), and on request
// (WithWaitForExport) makes each call return only once its audit line is
// written.
//
// otelx knows nothing of files: the audit sink is any sdktrace.SpanExporter,
// usually the JSONL exporter of package exporter. It links neither gRPC nor
// protobuf; OTLP forwarding is in package otlp.
//
// # The provider
//
// NewTracerProvider wraps the sampler in AuditSampler, so a tool span the
// sampler drops is still recorded (not sampled), and feeds every recorded
// tool span to the audit exporter through NewAuditProcessor. Forwarders get
// sampled spans only, without the tool call arguments and result unless
// content capture is on (WithContentCapture, or
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true), and then each
// cut to 64 KiB: backends refuse oversized batches whole.
//
// Span limits from the environment (OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT,
// OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and their OTEL_ATTRIBUTE_* fallbacks) are
// meant for backends; applied when spans are recorded they would cut the
// audit (arguments cut mid-JSON, a user or status dropped). So spans are
// recorded with values whole and at least 128 attributes, and each
// forwarder gets them as those limits would have recorded them (values cut,
// attributes dropped and counted in DroppedAttributes).
package otelx

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
package otelx

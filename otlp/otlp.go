// Package otlp forwards tool spans to a tracing backend over OTLP, configured
// the standard way by the OTEL_EXPORTER_OTLP_* environment variables.
//
// It is the only toolaudit package that links gRPC and protobuf: wrapping
// tools and writing audit files do not, and importing this package is the
// opt-in. Give its exporter to otelx.WithForwarder:
//
//	if otlp.Configured() {
//		exp, err := otlp.New(ctx)
//		...
//		opts = append(opts, otelx.WithForwarder(exp))
//	}
//
// NewMetricReader sends the metrics (docs/metrics.md) the same way, when
// MetricsConfigured.
package otlp

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Configured reports whether the environment names an OTLP endpoint for
// traces (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
func Configured() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// protocol is the OTLP protocol the environment asks for:
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
// "http/protobuf", the specification's default.
func protocol() string {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return "http/protobuf"
}

// New returns an OTLP trace exporter configured by the OTEL_EXPORTER_OTLP_*
// environment variables (endpoint, headers, timeout, compression,
// certificates), over gRPC when the protocol variable says "grpc" and over
// HTTP for "http/protobuf", the default. Another protocol is an error.
func New(ctx context.Context) (sdktrace.SpanExporter, error) {
	switch p := protocol(); p {
	case "grpc":
		return otlptracegrpc.New(ctx)
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("toolaudit: OTLP protocol %q not supported: want grpc or http/protobuf", p)
	}
}

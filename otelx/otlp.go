package otelx

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The standard OTLP environment variables that name a traces endpoint.
const (
	EnvOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// OTLPConfigured reports whether the environment names an OTLP endpoint for
// traces (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
func OTLPConfigured() bool {
	return os.Getenv(EnvOTLPEndpoint) != "" || os.Getenv(EnvOTLPTracesEndpoint) != ""
}

// OTLPProtocol is the OTLP protocol the environment asks for:
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
// "http/protobuf", the specification's default.
func OTLPProtocol() string {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return "http/protobuf"
}

// NewOTLPExporter returns an OTLP trace exporter configured the standard
// way, by the OTEL_EXPORTER_OTLP_* environment variables (endpoint,
// headers, timeout, compression, certificates): over gRPC when the
// protocol (see OTLPProtocol) is "grpc", over HTTP for "http/protobuf".
// Other protocols are an error naming them.
func NewOTLPExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	switch p := OTLPProtocol(); p {
	case "grpc":
		return otlptracegrpc.New(ctx)
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("toolaudit: OTLP protocol %q is not supported: want grpc or http/protobuf", p)
	}
}

// WithOTLP forwards sampled spans over OTLP to the endpoint the environment
// names (see NewOTLPExporter), through a batch span processor. Content
// attributes follow WithContentCapture, as for every forwarder.
func WithOTLP(opts ...sdktrace.BatchSpanProcessorOption) Option {
	return optionFunc(func(c *config) {
		exp, err := NewOTLPExporter(context.Background())
		if err != nil {
			c.err = err
			return
		}
		c.forwarders = append(c.forwarders, forwarder{exp: exp, batch: opts})
	})
}

package otlp

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// MetricsConfigured reports whether the environment asks for metrics over
// OTLP: OTEL_METRICS_EXPORTER is "otlp", or it is unset and an endpoint is
// named (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT).
// Unlike the specification's default, an unset variable alone does not: a
// library should not send to localhost unasked.
func MetricsConfigured() bool {
	switch strings.TrimSpace(os.Getenv("OTEL_METRICS_EXPORTER")) {
	case "otlp":
		return true
	case "":
		return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") != ""
	}
	return false
}

// NewMetricReader returns a periodic reader exporting over OTLP, configured
// by the OTEL_EXPORTER_OTLP_* variables (the METRICS_ ones first), over gRPC
// when OTEL_EXPORTER_OTLP_METRICS_PROTOCOL (else OTEL_EXPORTER_OTLP_PROTOCOL)
// says "grpc" and over HTTP for "http/protobuf", the default; the interval
// is OTEL_METRIC_EXPORT_INTERVAL (default 60 s). Another protocol is an
// error. Give it to sdkmetric.WithReader.
func NewMetricReader(ctx context.Context) (sdkmetric.Reader, error) {
	var exp sdkmetric.Exporter
	var err error
	switch p := metricsProtocol(); p {
	case "grpc":
		exp, err = otlpmetricgrpc.New(ctx)
	case "http/protobuf":
		exp, err = otlpmetrichttp.New(ctx)
	default:
		return nil, fmt.Errorf("toolaudit: OTLP protocol %q not supported: want grpc or http/protobuf", p)
	}
	if err != nil {
		return nil, err
	}
	return sdkmetric.NewPeriodicReader(exp), nil
}

func metricsProtocol() string {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return "http/protobuf"
}

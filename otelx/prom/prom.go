// Package prom builds a meter provider whose metrics Prometheus scrapes:
// the tool metrics of the middleware and the audit's health (see
// docs/metrics.md), in the Prometheus text format.
//
// It links the Prometheus client library (and protobuf); the middleware,
// the exporter and package otelx do not, and importing this package is the
// opt-in:
//
//	mp, handler, err := prom.NewMeterProvider()
//	...
//	mw := toolaudit.New(toolaudit.WithMeterProvider(mp))
//	exp, err := exporter.New(root, exporter.WithMeterProvider(mp))
//	http.Handle("/metrics", handler)
//
// With OTEL_METRICS_EXPORTER=prometheus (Configured), serve the handler on
// Addr, from OTEL_EXPORTER_PROMETHEUS_HOST and OTEL_EXPORTER_PROMETHEUS_PORT,
// as the OpenTelemetry SDKs do.
package prom

import (
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// NewMeterProvider returns a meter provider read by a Prometheus exporter,
// and the handler serving its metrics. The metrics are in a registry of
// their own, not prometheus.DefaultRegisterer. opts are given to
// sdkmetric.NewMeterProvider (a resource, views). The only error is from
// building the exporter.
func NewMeterProvider(opts ...sdkmetric.Option) (*sdkmetric.MeterProvider, http.Handler, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(append([]sdkmetric.Option{sdkmetric.WithReader(exp)}, opts...)...)
	return mp, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

// Configured reports whether OTEL_METRICS_EXPORTER is "prometheus".
func Configured() bool {
	return strings.TrimSpace(os.Getenv("OTEL_METRICS_EXPORTER")) == "prometheus"
}

// Addr is the address to serve the metrics on:
// OTEL_EXPORTER_PROMETHEUS_HOST (default localhost) and
// OTEL_EXPORTER_PROMETHEUS_PORT (default 9464).
func Addr() string {
	host, port := os.Getenv("OTEL_EXPORTER_PROMETHEUS_HOST"), os.Getenv("OTEL_EXPORTER_PROMETHEUS_PORT")
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "9464"
	}
	return net.JoinHostPort(host, port)
}

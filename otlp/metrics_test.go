package otlp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/otlp"
)

func TestMetricsFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		exporter, endpoint, metricsEndpoint string
		want                                bool
	}{
		{"", "", "", false},
		{"", "http://127.0.0.1:1", "", true},
		{"", "", "http://127.0.0.1:1/v1/metrics", true},
		{"otlp", "", "", true},
		{"none", "http://127.0.0.1:1", "", false},
		{"prometheus", "http://127.0.0.1:1", "", false},
	} {
		t.Setenv("OTEL_METRICS_EXPORTER", tc.exporter)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", tc.endpoint)
		t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", tc.metricsEndpoint)
		assert.Equal(t, tc.want, otlp.MetricsConfigured(), "%+v", tc)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	for _, p := range []string{"grpc", "http/protobuf"} {
		t.Setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", p)
		rd, err := otlp.NewMetricReader(context.Background())
		require.NoError(t, err, p)
		require.NoError(t, rd.Shutdown(context.Background()))
	}
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json")
	_, err := otlp.NewMetricReader(context.Background())
	require.ErrorContains(t, err, `OTLP protocol "http/json" not supported`)
}

// TestMetricsDelivered sends the tool metric over OTLP/HTTP to a local
// receiver and decodes what arrives.
func TestMetricsDelivered(t *testing.T) {
	var mu sync.Mutex
	counts := map[string]uint64{} // tool/status -> count
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req colmetricpb.ExportMetricsServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, rm := range req.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if m.Name != "gen_ai.execute_tool.duration" || m.GetHistogram() == nil {
						continue
					}
					for _, dp := range m.GetHistogram().DataPoints {
						key := ""
						for _, kv := range dp.Attributes {
							if kv.Key == "gen_ai.tool.name" || kv.Key == "toolaudit.status" {
								key += kv.Value.GetStringValue() + "/"
							}
						}
						counts[key] = dp.Count
					}
				}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&colmetricpb.ExportMetricsServiceResponse{})
		w.Write(out)
	}))
	defer srv.Close()
	t.Setenv("OTEL_METRICS_EXPORTER", "")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", srv.URL+"/v1/metrics")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf")
	rd, err := otlp.NewMetricReader(context.Background())
	require.NoError(t, err)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	search := toolaudit.Wrap("search", func(context.Context, map[string]any) (string, error) { return "ok", nil },
		toolaudit.WithMeterProvider(mp), toolaudit.WithTracerProvider(tp))
	for range 3 {
		_, err := search(context.Background(), nil)
		require.NoError(t, err)
	}
	require.NoError(t, mp.Shutdown(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]uint64{"search/ok/": 3}, counts)
}

package otlp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/toolaudit/toolaudit/internal/spanattr"
	"github.com/toolaudit/toolaudit/otelx"
	"github.com/toolaudit/toolaudit/otlp"
)

func TestOTLPFromEnvironment(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	assert.False(t, otlp.Configured())
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/v1/traces")
	assert.True(t, otlp.Configured())

	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "")
	for _, p := range []string{"grpc", "http/protobuf"} {
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", p)
		exp, err := otlp.New(context.Background())
		require.NoError(t, err, p)
		require.NoError(t, exp.Shutdown(context.Background()))
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")
	_, err := otlp.New(context.Background())
	require.ErrorContains(t, err, `OTLP protocol "http/json" not supported`)
}

// TestOTLPDelivers forwards over OTLP/HTTP to a local receiver and decodes
// what arrives.
func TestOTLPDelivers(t *testing.T) {
	var mu sync.Mutex
	var names []string
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names = append(names, s.Name)
					for _, kv := range s.Attributes {
						keys = append(keys, kv.Key)
					}
				}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", srv.URL+"/v1/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")
	audit := &countingExporter{}
	exp, err := otlp.New(context.Background())
	require.NoError(t, err)
	tp, err := otelx.NewTracerProvider(audit, otelx.WithForwarder(exp))
	require.NoError(t, err)
	_, span := tp.Tracer("t").Start(context.Background(), "execute_tool search", trace.WithAttributes(
		spanattr.KeyOperationName.String(spanattr.OperationExecuteTool), spanattr.KeyToolName.String("search"),
		spanattr.KeyToolCallArguments.String(`{"q":"secret"}`)))
	span.End()
	require.NoError(t, tp.Shutdown(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"execute_tool search"}, names)
	assert.Contains(t, keys, string(spanattr.KeyToolName))
	assert.NotContains(t, keys, string(spanattr.KeyToolCallArguments), "content is opt-in for backends")
	assert.Equal(t, int64(1), audit.n.Load(), "the audit still gets the span")
}

// countingExporter counts the spans it is given; unlike tracetest's
// in-memory exporter it keeps the count after Shutdown.
type countingExporter struct{ n atomic.Int64 }

func (c *countingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	c.n.Add(int64(len(spans)))
	return nil
}

func (c *countingExporter) Shutdown(context.Context) error { return nil }

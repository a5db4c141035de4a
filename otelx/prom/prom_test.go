package prom_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
	"github.com/toolaudit/toolaudit/otelx/prom"
)

// sample returns the value of the series of name whose labels include
// every one of labels (`k="v"`), "" when there is none.
func sample(text, name string, labels ...string) string {
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		all := true
		for _, l := range labels {
			all = all && strings.Contains(rest, l)
		}
		if all {
			return strings.TrimSpace(rest[strings.LastIndexByte(rest, ' '):])
		}
	}
	return ""
}

func TestPrometheusHandler(t *testing.T) {
	mp, handler, err := prom.NewMeterProvider()
	require.NoError(t, err)
	defer mp.Shutdown(context.Background())
	exp, err := exporter.New(t.TempDir(), exporter.WithMeterProvider(mp))
	require.NoError(t, err)
	tp, err := otelx.NewTracerProvider(exp)
	require.NoError(t, err)
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithMeterProvider(mp))
	search := mw.Wrap("search", func(context.Context, map[string]any) (string, error) { return "ok", nil })
	fail := mw.Wrap("fail", func(context.Context, map[string]any) (string, error) { return "", errors.New("boom") })
	ctx := toolaudit.ContextWithUser(context.Background(), "alice")
	for range 2 {
		_, err = search(ctx, nil)
		require.NoError(t, err)
	}
	_, err = fail(ctx, nil)
	require.Error(t, err)
	require.NoError(t, tp.ForceFlush(context.Background()))

	srv := httptest.NewServer(handler)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	text := string(b)
	assert.Contains(t, text, "# TYPE gen_ai_execute_tool_duration_seconds histogram")
	assert.Equal(t, "2", sample(text, "gen_ai_execute_tool_duration_seconds_count", `gen_ai_tool_name="search"`, `toolaudit_status="ok"`), text)
	assert.Equal(t, "1", sample(text, "gen_ai_execute_tool_duration_seconds_count", `gen_ai_tool_name="fail"`, `toolaudit_status="error"`, `error_type="*errors.errorString"`))
	assert.Equal(t, "1", sample(text, "gen_ai_execute_tool_duration_seconds_bucket", `gen_ai_tool_name="fail"`, `le="81.92"`))
	assert.Equal(t, "3", sample(text, "toolaudit_audit_lines_written_total"))
	assert.Equal(t, "0", sample(text, "toolaudit_audit_lines_pending"))
	assert.Equal(t, "0", sample(text, "toolaudit_audit_lines_failed_total"))
	assert.Equal(t, "1", sample(text, "toolaudit_audit_files_open"))
	assert.NotContains(t, text, "enduser_id", "no user by default")
	require.NoError(t, tp.Shutdown(context.Background()))
}

func TestPrometheusEnvironment(t *testing.T) {
	t.Setenv("OTEL_METRICS_EXPORTER", "")
	t.Setenv("OTEL_EXPORTER_PROMETHEUS_HOST", "")
	t.Setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "")
	assert.False(t, prom.Configured())
	assert.Equal(t, "localhost:9464", prom.Addr())
	t.Setenv("OTEL_METRICS_EXPORTER", "prometheus")
	t.Setenv("OTEL_EXPORTER_PROMETHEUS_HOST", "::1")
	t.Setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "9100")
	assert.True(t, prom.Configured())
	assert.Equal(t, "[::1]:9100", prom.Addr())
}

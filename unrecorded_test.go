package toolaudit_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/toolaudit/toolaudit"
)

// TestUnauditedCallsReported checks that a call nothing records (a no-op
// tracer provider, a sampler that drops it) is reported once per
// middleware, and that recorded calls are not.
func TestUnauditedCallsReported(t *testing.T) {
	var mu sync.Mutex
	var reports []string
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { mu.Lock(); reports = append(reports, err.Error()); mu.Unlock() }))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
	got := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), reports...) }
	ctx := toolaudit.ContextWithUser(context.Background(), "alice")
	tool := func(context.Context, map[string]any) (string, error) { return "ok", nil }

	recorded := toolaudit.New(toolaudit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewInMemoryExporter()))))
	_, err := recorded.Wrap("search", tool)(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got(), "a recorded call is not reported")

	for _, tp := range map[string]toolaudit.Option{
		"no-op provider":   toolaudit.WithTracerProvider(noop.NewTracerProvider()),
		"dropping sampler": toolaudit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))),
	} {
		before := len(got())
		mw := toolaudit.New(tp)
		for range 3 {
			_, err := mw.Wrap("shell", tool)(ctx, nil)
			require.NoError(t, err, "the tool still runs")
			_, err = mw.Invoke(ctx, "made-up", nil, func(context.Context) (toolaudit.Result, error) { return toolaudit.Result{}, nil })
			require.NoError(t, err)
		}
		reported := got()[before:]
		require.Len(t, reported, 1, "once per middleware: %q", reported)
		assert.Contains(t, reported[0], `a call of tool "shell" is not audited`)
	}
}

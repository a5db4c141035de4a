package toolaudit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestInvokeRemembersBoundedNames calls Invoke with more distinct tool
// names than it remembers, as a hostile client or a hallucinating model
// can: what the middleware keeps stays bounded, and every call is still
// recorded under its own name.
func TestInvokeRemembersBoundedNames(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	m := New(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	const calls = 3 * maxCachedNames
	for i := range calls {
		name := fmt.Sprintf("tool%d", i%(2*maxCachedNames)) // each name of the first half twice
		_, err := m.Invoke(context.Background(), name, map[string]any{"i": i}, func(context.Context) (Result, error) {
			return Result{Text: "ok"}, nil
		})
		require.NoError(t, err)
	}
	kept := 0
	m.bindings.Range(func(any, any) bool { kept++; return true })
	assert.Equal(t, maxCachedNames, kept, "names remembered")

	spans := rec.Ended()
	require.Len(t, spans, calls)
	for i, s := range spans {
		name := fmt.Sprintf("tool%d", i%(2*maxCachedNames))
		require.Equal(t, spanattr.SpanNamePrefix+name, s.Name(), i)
		require.Equal(t, name, spanattr.Read(s.Attributes()).Tool, i)
		require.Equal(t, fmt.Sprintf(`{"i":%d}`, i), spanattr.Read(s.Attributes()).Arguments, i)
	}
}

// TestInvokeCutsLongNames calls Invoke with a tool name of a million code
// points: the span carries its first 256 and "…", not the whole name.
func TestInvokeCutsLongNames(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	m := New(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	long := strings.Repeat("é", 1_000_000)
	_, err := m.Invoke(context.Background(), long, map[string]any{}, func(context.Context) (Result, error) {
		return Result{}, errors.New("unknown tool")
	})
	require.Error(t, err)
	want := strings.Repeat("é", maxToolName) + "…"
	spans := rec.Ended()
	require.Len(t, spans, 1)
	assert.Equal(t, spanattr.SpanNamePrefix+want, spans[0].Name())
	assert.Equal(t, want, spanattr.Read(spans[0].Attributes()).Tool)

	short := strings.Repeat("é", maxToolName)
	_, err = m.Invoke(context.Background(), short, map[string]any{}, func(context.Context) (Result, error) { return Result{}, nil })
	require.NoError(t, err)
	assert.Equal(t, short, spanattr.Read(rec.Ended()[1].Attributes()).Tool, "a name of 256 code points is kept whole")
}

// TestLongErrorMessageCutInStatus fails a call with an error message of a
// million code points: the span status carries its first 1,024 and "…",
// while the result attribute keeps the snippet and the full length.
func TestLongErrorMessageCutInStatus(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	m := New(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	msg := strings.Repeat("é", 1_000_000)
	_, err := m.Invoke(context.Background(), "fetch", map[string]any{}, func(context.Context) (Result, error) {
		return Result{}, errors.New(msg)
	})
	require.EqualError(t, err, msg, "the caller gets the whole error")
	spans := rec.Ended()
	require.Len(t, spans, 1)
	assert.Equal(t, strings.Repeat("é", maxDescription)+"…", spans[0].Status().Description)
	c := spanattr.Read(spans[0].Attributes())
	assert.Equal(t, int64(1_000_000), c.ResultChars)
	assert.Equal(t, strings.Repeat("é", defaultSnippetLimit), c.Result)
}

// TestInvokeMemoryBoundedByNames measures what 20,000 made-up tool names
// keep alive: about 60 MB when every name was remembered with a binding of
// its own, 7 MB if every name were remembered as a copy of one shared
// binding, well under a megabyte now that only 1,024 names are.
func TestInvokeMemoryBoundedByNames(t *testing.T) {
	m := New(WithTracerProvider(sdktrace.NewTracerProvider()))
	ok := func(context.Context) (Result, error) { return Result{}, nil }
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 20_000 {
		_, err := m.Invoke(context.Background(), fmt.Sprintf("made-up-%d", i), map[string]any{}, ok)
		require.NoError(t, err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	assert.Less(t, grown, int64(2<<20), "live heap grew by %d bytes for 20,000 names", grown)
	runtime.KeepAlive(m)
}

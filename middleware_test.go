package toolaudit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolaudit/toolaudit"
)

// recorder returns a tracer provider whose ended spans the recorder keeps.
func recorder(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, sr
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value)
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func onlySpan(t *testing.T, sr *tracetest.SpanRecorder) (sdktrace.ReadOnlySpan, map[attribute.Key]attribute.Value) {
	t.Helper()
	spans := sr.Ended()
	require.Len(t, spans, 1)
	return spans[0], attrs(spans[0])
}

func runCtx() context.Context {
	ctx := toolaudit.ContextWithUser(context.Background(), "alice")
	return toolaudit.ContextWithRun(ctx, "anthropic", "claude-sonnet-4-5")
}

func TestWrapOK(t *testing.T) {
	tp, sr := recorder(t)
	var inner trace.SpanContext
	tool := toolaudit.Wrap("search", func(ctx context.Context, args map[string]any) (string, error) {
		inner = trace.SpanContextFromContext(ctx)
		return "found: " + args["q"].(string), nil
	}, toolaudit.WithTracerProvider(tp))

	ctx := toolaudit.ContextWithCallID(runCtx(), "toolu_01")
	got, err := tool(ctx, map[string]any{"q": "café", "n": 3})
	require.NoError(t, err)
	assert.Equal(t, "found: café", got)

	span, a := onlySpan(t, sr)
	assert.Equal(t, "execute_tool search", span.Name())
	assert.Equal(t, trace.SpanKindInternal, span.SpanKind())
	assert.Equal(t, span.SpanContext(), inner, "the tool runs inside its span")
	assert.Equal(t, codes.Unset, span.Status().Code)
	want := map[attribute.Key]attribute.Value{
		spanattr.KeyOperationName:     attribute.StringValue("execute_tool"),
		spanattr.KeyToolName:          attribute.StringValue("search"),
		spanattr.KeyToolCallID:        attribute.StringValue("toolu_01"),
		spanattr.KeyProviderName:      attribute.StringValue("anthropic"),
		spanattr.KeyRequestModel:      attribute.StringValue("claude-sonnet-4-5"),
		spanattr.KeyEndUserID:         attribute.StringValue("alice"),
		spanattr.KeyToolCallArguments: attribute.StringValue(`{"n":3,"q":"café"}`),
		spanattr.KeyStatus:            attribute.StringValue("ok"),
		spanattr.KeyResultChars:       attribute.IntValue(11),
		spanattr.KeyToolCallResult:    attribute.StringValue("found: café"),
	}
	assert.Equal(t, want, a)
	assert.Equal(t, toolaudit.ScopeName, span.InstrumentationScope().Name)
	assert.Equal(t, toolaudit.Version, span.InstrumentationScope().Version)
}

type myErr struct{}

func (myErr) Error() string { return "backend unavailable" }

func TestWrapStatuses(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus string
		wantType   string
	}{
		{"error", myErr{}, "error", "toolaudit_test.myErr"},
		{"denied by the tool", fmt.Errorf("no access to %s: %w", "/etc", toolaudit.ErrDenied), "denied", "denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, sr := recorder(t)
			tool := toolaudit.Wrap("read", func(context.Context, map[string]any) (string, error) {
				return "partial output", tt.err
			}, toolaudit.WithTracerProvider(tp))
			_, err := tool(runCtx(), nil)
			require.ErrorIs(t, err, tt.err, "the tool's error is returned as it is")
			assert.Equal(t, tt.err, err)

			span, a := onlySpan(t, sr)
			assert.Equal(t, tt.wantStatus, a[spanattr.KeyStatus].AsString())
			assert.Equal(t, tt.err.Error(), a[spanattr.KeyToolCallResult].AsString(), "the result text is the error's message")
			assert.Equal(t, int64(len(tt.err.Error())), a[spanattr.KeyResultChars].AsInt64())
			assert.Equal(t, tt.wantType, a[spanattr.KeyErrorType].AsString())
			assert.Equal(t, codes.Error, span.Status().Code)
			assert.Equal(t, tt.err.Error(), span.Status().Description)
			assert.Equal(t, "{}", a[spanattr.KeyToolCallArguments].AsString())
		})
	}
}

func TestAuthorizerDenies(t *testing.T) {
	tp, sr := recorder(t)
	reason := errors.New("bob may not delete files")
	var seen toolaudit.Call
	ran := false
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithAuthorizer(func(ctx context.Context, c toolaudit.Call) error {
		seen = c
		if c.User == "bob" {
			return reason
		}
		return nil
	}))
	tool := mw.Wrap("delete", func(context.Context, map[string]any) (string, error) {
		ran = true
		return "deleted", nil
	})

	ctx := toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "bob"), "openai", "gpt-5")
	out, err := tool(ctx, map[string]any{"path": "/tmp/x"})
	assert.False(t, ran, "a refused tool does not run")
	assert.Empty(t, out)
	require.ErrorIs(t, err, toolaudit.ErrDenied)
	require.ErrorIs(t, err, reason)
	assert.Contains(t, err.Error(), `tool "delete"`)
	assert.Equal(t, toolaudit.Call{Tool: "delete", User: "bob", Engine: "openai", Model: "gpt-5", Args: map[string]any{"path": "/tmp/x"}}, seen)

	span, a := onlySpan(t, sr)
	assert.Equal(t, "denied", a[spanattr.KeyStatus].AsString())
	assert.Equal(t, "tool call denied: bob may not delete files", a[spanattr.KeyToolCallResult].AsString())
	assert.Equal(t, codes.Error, span.Status().Code)

	// The same authorizer lets alice's call run.
	out, err = tool(runCtx(), nil)
	require.NoError(t, err)
	assert.Equal(t, "deleted", out)
	assert.True(t, ran)
}

func TestAuthorizerErrorAlreadyDenied(t *testing.T) {
	tp, _ := recorder(t)
	tool := toolaudit.Wrap("x", func(context.Context, map[string]any) (string, error) { return "", nil },
		toolaudit.WithTracerProvider(tp),
		toolaudit.WithAuthorizer(func(context.Context, toolaudit.Call) error {
			return fmt.Errorf("quota exceeded: %w", toolaudit.ErrDenied)
		}))
	_, err := tool(runCtx(), nil)
	require.ErrorIs(t, err, toolaudit.ErrDenied)
	assert.Equal(t, `toolaudit: tool "x": quota exceeded: tool call denied`, err.Error())
}

func TestPanicRecordedAndReraised(t *testing.T) {
	tp, sr := recorder(t)
	tool := toolaudit.Wrap("boom", func(context.Context, map[string]any) (string, error) {
		panic("index out of range")
	}, toolaudit.WithTracerProvider(tp))

	assert.PanicsWithValue(t, "index out of range", func() { _, _ = tool(runCtx(), nil) })
	span, a := onlySpan(t, sr)
	assert.Equal(t, "error", a[spanattr.KeyStatus].AsString())
	assert.Equal(t, "panic: index out of range", a[spanattr.KeyToolCallResult].AsString())
	assert.Equal(t, "panic", a[spanattr.KeyErrorType].AsString())
	assert.Equal(t, codes.Error, span.Status().Code)
	assert.False(t, span.EndTime().IsZero())
}

func TestOverridesWinOverContext(t *testing.T) {
	tp, sr := recorder(t)
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithRun("local", "llama"))
	tool := mw.Wrap("t", func(context.Context, map[string]any) (string, error) { return "", nil }, toolaudit.WithUser("svc-batch"))
	_, err := tool(runCtx(), nil)
	require.NoError(t, err)
	_, a := onlySpan(t, sr)
	assert.Equal(t, "svc-batch", a[spanattr.KeyEndUserID].AsString())
	assert.Equal(t, "local", a[spanattr.KeyProviderName].AsString())
	assert.Equal(t, "llama", a[spanattr.KeyRequestModel].AsString())
}

func TestNoContextNoAttributes(t *testing.T) {
	tp, sr := recorder(t)
	tool := toolaudit.Wrap("t", func(context.Context, map[string]any) (string, error) { return "", nil }, toolaudit.WithTracerProvider(tp))
	_, err := tool(context.Background(), nil)
	require.NoError(t, err)
	_, a := onlySpan(t, sr)
	for _, k := range []attribute.Key{spanattr.KeyEndUserID, spanattr.KeyProviderName, spanattr.KeyRequestModel, spanattr.KeyToolCallID} {
		_, ok := a[k]
		assert.False(t, ok, "%s is not set when unknown", k)
	}
}

func TestTruncationMultiByte(t *testing.T) {
	e500 := strings.Repeat("é", 500)
	emoji501 := strings.Repeat("😀", 501)
	tests := []struct {
		name string
		args map[string]any
		want string
	}{
		{"500 two-byte characters are kept", map[string]any{"s": e500}, `{"s":"` + e500 + `"}`},
		{"501 four-byte characters are cut at 500", map[string]any{"s": emoji501},
			`{"s":"` + strings.Repeat("😀", 500) + ` …[501 chars total]"}`},
		{"nested values are cut, keys are not", map[string]any{"a": []any{map[string]any{strings.Repeat("k", 600): strings.Repeat("v", 501)}}},
			`{"a":[{"` + strings.Repeat("k", 600) + `":"` + strings.Repeat("v", 500) + ` …[501 chars total]"}]}`},
		{"other values as they are", map[string]any{"b": true, "f": 1.5, "n": nil, "i": int64(-7), "l": []string{"x"}},
			`{"b":true,"f":1.5,"i":-7,"l":["x"],"n":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, sr := recorder(t)
			tool := toolaudit.Wrap("t", func(context.Context, map[string]any) (string, error) { return "", nil }, toolaudit.WithTracerProvider(tp))
			_, err := tool(runCtx(), tt.args)
			require.NoError(t, err)
			_, a := onlySpan(t, sr)
			got := a[spanattr.KeyToolCallArguments].AsString()
			assert.Equal(t, tt.want, got)
			assert.True(t, json.Valid([]byte(got)))
		})
	}
}

func TestSnippetCountsCodePoints(t *testing.T) {
	tp, sr := recorder(t)
	result := strings.Repeat("日本", 200) // 400 code points, 1200 bytes
	tool := toolaudit.Wrap("t", func(context.Context, map[string]any) (string, error) { return result, nil },
		toolaudit.WithTracerProvider(tp))
	_, err := tool(runCtx(), nil)
	require.NoError(t, err)
	_, a := onlySpan(t, sr)
	assert.Equal(t, int64(400), a[spanattr.KeyResultChars].AsInt64())
	assert.Equal(t, strings.Repeat("日本", 150), a[spanattr.KeyToolCallResult].AsString())
}

func TestLimitOptions(t *testing.T) {
	tp, sr := recorder(t)
	tool := toolaudit.Wrap("t", func(context.Context, map[string]any) (string, error) { return "abcdef", nil },
		toolaudit.WithTracerProvider(tp), toolaudit.WithArgLimit(3), toolaudit.WithSnippetLimit(2))
	_, err := tool(runCtx(), map[string]any{"s": "ünïcode"})
	require.NoError(t, err)
	_, a := onlySpan(t, sr)
	assert.Equal(t, `{"s":"ünï …[7 chars total]"}`, a[spanattr.KeyToolCallArguments].AsString())
	assert.Equal(t, "ab", a[spanattr.KeyToolCallResult].AsString())
	assert.Equal(t, int64(6), a[spanattr.KeyResultChars].AsInt64())
}

type searchIn struct {
	Query string   `json:"query"`
	Tags  []string `json:"tags,omitempty"`
	Limit int      `json:"limit"`
}

type searchOut struct {
	Hits []string `json:"hits"`
}

type temp float64

func (t temp) String() string { return fmt.Sprintf("%.1f °C", float64(t)) }

func TestWrapFuncTyped(t *testing.T) {
	tp, sr := recorder(t)
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithArgLimit(4))
	search := toolaudit.WrapFunc(mw, "search", func(ctx context.Context, in searchIn) (searchOut, error) {
		return searchOut{Hits: []string{in.Query + "<1>"}}, nil
	})
	out, err := search(runCtx(), searchIn{Query: "golang", Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, searchOut{Hits: []string{"golang<1>"}}, out)

	_, a := onlySpan(t, sr)
	assert.Equal(t, `{"query":"gola …[6 chars total]","limit":2}`, a[spanattr.KeyToolCallArguments].AsString(), "struct field order, truncated, no HTML escaping")
	assert.Equal(t, `{"hits":["golang<1>"]}`, a[spanattr.KeyToolCallResult].AsString())

	tests := []struct {
		name     string
		call     func() error
		wantArgs string
		wantRes  string
	}{
		{"scalar input", func() error {
			_, err := toolaudit.WrapFunc(mw, "sq", func(_ context.Context, n int) (int, error) { return n * n, nil })(runCtx(), 7)
			return err
		}, `{"input":7}`, "49"},
		{"stringer output", func() error {
			_, err := toolaudit.WrapFunc(mw, "temp", func(_ context.Context, in map[string]any) (temp, error) { return 21.5, nil })(runCtx(), map[string]any{"city": "Bern"})
			return err
		}, `{"city":"Bern"}`, "21.5 °C"},
		{"nil pointer stringer output", func() error {
			_, err := toolaudit.WrapFunc(mw, "p", func(_ context.Context, in struct{}) (*strings.Builder, error) { return nil, nil })(runCtx(), struct{}{})
			return err
		}, `{}`, "[unprintable *strings.Builder]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sr.Reset()
			require.NoError(t, tt.call())
			_, a := onlySpan(t, sr)
			assert.Equal(t, tt.wantArgs, a[spanattr.KeyToolCallArguments].AsString())
			assert.Equal(t, tt.wantRes, a[spanattr.KeyToolCallResult].AsString())
		})
	}
}

func TestHostileArgumentsStayValidJSON(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	deep := any("leaf")
	for range 10000 {
		deep = []any{deep}
	}
	nan := 0.0
	tests := map[string]any{
		"channel":  make(chan int),
		"func":     func() {},
		"cyclic":   cyclic,
		"deep":     deep,
		"nan":      nan / nan,
		"raw":      json.RawMessage(`{"a" : [1, 2],` + "\n" + `"b":"\u2028"}`),
		"badraw":   json.RawMessage(`{"a":`),
		"deepraw":  json.RawMessage(strings.Repeat(`{"a":[`, 5000) + strings.Repeat("]}", 5000)),
		"big":      strings.Repeat("é", 10<<20),
		"controls": "a\x00b\x1b[31mc\u2028d\u0085e\xff",
	}
	tp, sr := recorder(t)
	tool := toolaudit.Wrap("t", func(context.Context, map[string]any) (string, error) { return "", nil }, toolaudit.WithTracerProvider(tp))
	_, err := tool(runCtx(), tests)
	require.NoError(t, err)
	_, a := onlySpan(t, sr)
	got := a[spanattr.KeyToolCallArguments].AsString()
	require.True(t, json.Valid([]byte(got)), got)
	assert.NotContains(t, got, "\n")
	assert.NotContains(t, got, "\u2028")
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(got), &m))
	assert.Equal(t, "[unencodable chan int]", m["channel"])
	assert.Equal(t, "[unencodable func()]", m["func"])
	assert.Equal(t, "NaN", m["nan"])
	assert.Equal(t, map[string]any{"a": []any{1.0, 2.0}, "b": "\u2028"}, m["raw"])
	assert.Equal(t, `{"a":`, m["badraw"])
	assert.Equal(t, "a\x00b\x1b[31mc\u2028d\u0085e\ufffd", m["controls"])
	assert.Contains(t, got, "[too deep]")
	assert.Less(t, len(got), 64<<10, "bounded output")
	assert.True(t, strings.HasSuffix(m["big"].(string), " …[10485760 chars total]"))
}

// TestConcurrentCallsKeepTheirOwnAttributes checks that calls running at
// once, with the start-attribute slice reused between calls, each end with
// their own user, arguments and result.
func TestConcurrentCallsKeepTheirOwnAttributes(t *testing.T) {
	tp, sr := recorder(t)
	tool := toolaudit.Wrap("echo", func(_ context.Context, args map[string]any) (string, error) {
		return fmt.Sprint(args["n"]), nil
	}, toolaudit.WithTracerProvider(tp))
	const goroutines, calls = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := toolaudit.ContextWithUser(context.Background(), fmt.Sprintf("user%d", g))
			for i := range calls {
				if _, err := tool(ctx, map[string]any{"n": g*calls + i}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	spans := sr.Ended()
	require.Len(t, spans, goroutines*calls)
	seen := make(map[string]bool)
	for _, s := range spans {
		a := attrs(s)
		var args struct{ N int }
		require.NoError(t, json.Unmarshal([]byte(a[spanattr.KeyToolCallArguments].AsString()), &args))
		assert.Equal(t, fmt.Sprint(args.N), a[spanattr.KeyToolCallResult].AsString())
		assert.Equal(t, fmt.Sprintf("user%d", args.N/calls), a[spanattr.KeyEndUserID].AsString())
		seen[a[spanattr.KeyToolCallArguments].AsString()] = true
	}
	assert.Len(t, seen, goroutines*calls, "every call's arguments once")
}

// TestArgumentsRecordedAsCalled checks that the arguments are recorded as
// the tool received them, even when the tool changes its map.
func TestArgumentsRecordedAsCalled(t *testing.T) {
	tp, sr := recorder(t)
	tool := toolaudit.Wrap("edit", func(_ context.Context, args map[string]any) (string, error) {
		args["path"] = "/etc/shadow"
		delete(args, "mode")
		return "done", nil
	}, toolaudit.WithTracerProvider(tp))
	_, err := tool(runCtx(), map[string]any{"path": "notes.txt", "mode": "append"})
	require.NoError(t, err)
	_, a := onlySpan(t, sr)
	assert.JSONEq(t, `{"mode":"append","path":"notes.txt"}`, a[spanattr.KeyToolCallArguments].AsString())
}

// seenSampler samples everything and keeps the attributes it was shown.
type seenSampler struct{ seen *[]attribute.KeyValue }

func (s seenSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	*s.seen = append(*s.seen, p.Attributes...)
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
}
func (seenSampler) Description() string { return "seen" }

// TestSamplersSeeTheCallAtStart checks which attributes a sampler gets:
// who calls which tool with which model, not the arguments.
func TestSamplersSeeTheCallAtStart(t *testing.T) {
	var seen []attribute.KeyValue
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(seenSampler{&seen}))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tool := toolaudit.Wrap("search", func(context.Context, map[string]any) (string, error) { return "ok", nil },
		toolaudit.WithTracerProvider(tp))
	_, err := tool(toolaudit.ContextWithCallID(runCtx(), "call_1"), map[string]any{"q": "x"})
	require.NoError(t, err)
	keys := make(map[attribute.Key]string)
	for _, kv := range seen {
		keys[kv.Key] = kv.Value.String()
	}
	assert.Equal(t, map[attribute.Key]string{
		spanattr.KeyOperationName: "execute_tool", spanattr.KeyToolName: "search", spanattr.KeyToolCallID: "call_1",
		spanattr.KeyProviderName: "anthropic", spanattr.KeyRequestModel: "claude-sonnet-4-5", spanattr.KeyEndUserID: "alice",
	}, keys)
}

package audittest_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/audittest"
	"github.com/toolaudit/toolaudit/record"
)

func TestRecorder(t *testing.T) {
	tp, rec := audittest.NewRecorder()
	_, other := tp.Tracer("t").Start(context.Background(), "not a tool")
	other.End()
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
	ok := mw.Wrap("ok", func(context.Context, map[string]any) (string, error) { return "fine", nil })
	bad := mw.Wrap("bad", func(context.Context, map[string]any) (string, error) { return "", errors.New("no") })
	ctx := toolaudit.ContextWithCallID(toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "u"), "e", "m"), "c1")
	before := time.Now()
	_, _ = ok(ctx, map[string]any{"a": 1})
	_, _ = bad(ctx, nil)
	after := time.Now()

	got := rec.Calls()
	require.Len(t, got, 2)
	assert.NotEqual(t, got[0].SpanID, got[1].SpanID)
	for i, en := range got {
		assert.False(t, en.Time.Before(before) || en.Time.After(after), "%d: the span's end time: %v", i, en.Time)
		assert.GreaterOrEqual(t, en.Duration, time.Duration(0), i)
		assert.Len(t, en.TraceID, 32, i)
		assert.Len(t, en.SpanID, 16, i)
		got[i].Time, got[i].Duration, got[i].TraceID, got[i].SpanID = time.Time{}, 0, "", ""
	}
	assert.Equal(t, []record.Entry{
		{Tool: "ok", Status: record.StatusOK, Args: json.RawMessage(`{"a":1}`), ResultSnippet: "fine", ResultChars: 4, User: "u", Engine: "e", Model: "m", CallID: "c1"},
		{Tool: "bad", Status: record.StatusError, Args: json.RawMessage(`{}`), ResultSnippet: "no", ResultChars: 2, User: "u", Engine: "e", Model: "m", CallID: "c1"},
	}, got)

	got[0].Args[1] = 'X'
	assert.JSONEq(t, `{"a":1}`, string(rec.Calls()[0].Args), "the entries are copies")
	rec.Reset()
	assert.Empty(t, rec.Calls())
}

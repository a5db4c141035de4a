package audittest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/audittest"
)

func TestRecorder(t *testing.T) {
	tp, rec := audittest.NewRecorder()
	_, other := tp.Tracer("t").Start(context.Background(), "not a tool")
	other.End()
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
	ok := mw.Wrap("ok", func(context.Context, map[string]any) (string, error) { return "fine", nil })
	bad := mw.Wrap("bad", func(context.Context, map[string]any) (string, error) { return "", errors.New("no") })
	ctx := toolaudit.ContextWithCallID(toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "u"), "e", "m"), "c1")
	_, _ = ok(ctx, map[string]any{"a": 1})
	_, _ = bad(ctx, nil)
	assert.Equal(t, []audittest.Call{
		{Tool: "ok", Status: "ok", Args: `{"a":1}`, Result: "fine", User: "u", Engine: "e", Model: "m", CallID: "c1"},
		{Tool: "bad", Status: "error", Args: `{}`, Result: "no", User: "u", Engine: "e", Model: "m", CallID: "c1"},
	}, rec.Calls())
	rec.Reset()
	assert.Empty(t, rec.Calls())
}

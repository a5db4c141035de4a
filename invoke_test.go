package toolaudit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/codes"

	"github.com/toolaudit/toolaudit"
)

func TestInvoke(t *testing.T) {
	tp, sr := recorder(t)
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
	tests := []struct {
		name       string
		fn         func(context.Context) (toolaudit.Result, error)
		wantStatus string
		wantText   string
		wantErr    bool
	}{
		{"ok", func(context.Context) (toolaudit.Result, error) { return toolaudit.Result{Text: "fine"}, nil }, "ok", "fine", false},
		{"is error", func(context.Context) (toolaudit.Result, error) {
			return toolaudit.Result{Text: "file not found", IsError: true}, nil
		}, "error", "file not found", false},
		{"go error", func(context.Context) (toolaudit.Result, error) { return toolaudit.Result{}, errors.New("boom") }, "error", "boom", true},
		{"denied", func(context.Context) (toolaudit.Result, error) {
			return toolaudit.Result{}, fmt.Errorf("no: %w", toolaudit.ErrDenied)
		}, "denied", "no: tool call denied", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sr.Reset()
			res, err := mw.Invoke(runCtx(), "read_file", json.RawMessage(`{"path":"/etc/hosts"}`), tt.fn)
			assert.Equal(t, tt.wantErr, err != nil)
			if !tt.wantErr {
				assert.Equal(t, tt.wantText, res.Text, "the result is passed through")
			}
			span, a := onlySpan(t, sr)
			assert.Equal(t, tt.wantStatus, a[spanattr.KeyStatus].AsString())
			assert.Equal(t, tt.wantText, a[spanattr.KeyToolCallResult].AsString())
			assert.Equal(t, `{"path":"/etc/hosts"}`, a[spanattr.KeyToolCallArguments].AsString())
			if tt.wantStatus != "ok" {
				assert.Equal(t, codes.Error, span.Status().Code)
			}
		})
	}
}

func TestDispatcher(t *testing.T) {
	tp, sr := recorder(t)
	d := toolaudit.NewDispatcher(toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithAuthorizer(
		func(_ context.Context, c toolaudit.Call) error {
			if c.Tool == "rm" {
				return errors.New("never")
			}
			return nil
		})))
	d.Register("add", func(_ context.Context, args map[string]any) (string, error) {
		return fmt.Sprint(args["a"].(float64) + args["b"].(float64)), nil
	})
	d.Register("rm", func(context.Context, map[string]any) (string, error) { return "removed", nil })
	d.Register("fail", func(context.Context, map[string]any) (string, error) { return "", errors.New("backend down") })

	tests := []struct {
		id, name, args string
		want           string
		isError        bool
		status         string
		recordedArgs   string
	}{
		{"call_1", "add", `{"a":1,"b":2}`, "3", false, "ok", `{"a":1,"b":2}`},
		{"call_2", "rm", `{"path":"/"}`, `toolaudit: tool "rm": tool call denied: never`, true, "denied", `{"path":"/"}`},
		{"call_3", "fail", ``, "backend down", true, "error", `{}`},
		{"call_4", "nope", `{"x":1}`, `unknown tool "nope"`, true, "error", `{"x":1}`},
		{"call_5", "add", `[1,2]`, `arguments of tool "add" are not a JSON object: "[1,2]"`, true, "error", `{"_unparsed":"[1,2]"}`},
	}
	for _, tt := range tests {
		sr.Reset()
		got, isErr := d.Dispatch(runCtx(), tt.id, tt.name, tt.args)
		assert.Equal(t, tt.want, got, tt.id)
		assert.Equal(t, tt.isError, isErr, tt.id)
		span, a := onlySpan(t, sr)
		assert.Equal(t, "execute_tool "+tt.name, span.Name())
		assert.Equal(t, tt.id, a[spanattr.KeyToolCallID].AsString())
		assert.Equal(t, tt.status, a[spanattr.KeyStatus].AsString(), tt.id)
		assert.Equal(t, tt.recordedArgs, a[spanattr.KeyToolCallArguments].AsString(), tt.id)
	}
}

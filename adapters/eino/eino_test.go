package eino_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit"
	audit "github.com/toolaudit/toolaudit/adapters/eino"
	"github.com/toolaudit/toolaudit/otelx"
)

type invokable struct {
	name string
	fn   func(args string) (string, error)
}

func (t invokable) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: t.name, Desc: "test tool " + t.name}, nil
}

func (t invokable) InvokableRun(_ context.Context, args string, _ ...tool.Option) (string, error) {
	return t.fn(args)
}

type streamable struct{ name string }

func (t streamable) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: t.name, Desc: "streams"}, nil
}

func (t streamable) StreamableRun(context.Context, string, ...tool.Option) (*schema.StreamReader[string], error) {
	return schema.StreamReaderFromArray([]string{"chunk one, ", "chunk two"}), nil
}

type call struct{ tool, status, args, result, callID string }

func calls(sr *tracetest.SpanRecorder) map[string]call {
	out := map[string]call{}
	for _, s := range sr.Ended() {
		var c call
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case otelx.KeyToolName:
				c.tool = kv.Value.AsString()
			case otelx.KeyStatus:
				c.status = kv.Value.AsString()
			case otelx.KeyToolCallArguments:
				c.args = kv.Value.AsString()
			case otelx.KeyToolCallResult:
				c.result = kv.Value.AsString()
			case otelx.KeyToolCallID:
				c.callID = kv.Value.AsString()
			}
		}
		out[c.callID] = c
	}
	return out
}

func toolCall(id, name, args string) schema.ToolCall {
	return schema.ToolCall{ID: id, Function: schema.FunctionCall{Name: name, Arguments: args}}
}

// TestToolsNode runs real calls through an eino ToolsNode.
func TestToolsNode(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithAuthorizer(func(_ context.Context, c toolaudit.Call) error {
		if c.Tool == "shell" {
			return errors.New("shell is disabled")
		}
		return nil
	}))
	var mu sync.Mutex
	shellRan := false
	ctx := context.Background()
	node, err := compose.NewToolNode(ctx, &compose.ToolsNodeConfig{
		Tools: []tool.BaseTool{
			invokable{"search", func(args string) (string, error) { return "3 results", nil }},
			invokable{"shell", func(string) (string, error) { mu.Lock(); shellRan = true; mu.Unlock(); return "ran", nil }},
			invokable{"fail", func(string) (string, error) { return "", errors.New("backend down") }},
		},
		ToolCallMiddlewares: []compose.ToolMiddleware{audit.Middleware(mw)},
	})
	require.NoError(t, err)
	msgs, err := node.Invoke(ctx, schema.AssistantMessage("", []schema.ToolCall{
		toolCall("call_1", "search", `{"q":"café"}`),
		toolCall("call_2", "shell", `{"cmd":"ls"}`),
	}))
	require.NoError(t, err, "a refusal does not abort the graph")
	require.Len(t, msgs, 2)
	assert.Equal(t, "3 results", msgs[0].Content)
	assert.True(t, strings.HasPrefix(msgs[1].Content, audit.RefusalPrefix), msgs[1].Content)
	assert.False(t, shellRan)

	_, err = node.Invoke(ctx, schema.AssistantMessage("", []schema.ToolCall{toolCall("call_3", "fail", `{}`)}))
	require.Error(t, err)

	got := calls(sr)
	assert.Equal(t, call{"search", "ok", `{"q":"café"}`, "3 results", "call_1"}, got["call_1"])
	assert.Equal(t, "denied", got["call_2"].status)
	assert.Equal(t, "error", got["call_3"].status)
	assert.Contains(t, got["call_3"].result, "backend down")
}

func TestStreamingTool(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
	ctx := context.Background()
	node, err := compose.NewToolNode(ctx, &compose.ToolsNodeConfig{
		Tools:               []tool.BaseTool{streamable{"tail"}},
		ToolCallMiddlewares: []compose.ToolMiddleware{audit.Middleware(mw)},
	})
	require.NoError(t, err)
	stream, err := node.Stream(ctx, schema.AssistantMessage("", []schema.ToolCall{toolCall("call_9", "tail", `{"file":"log"}`)}))
	require.NoError(t, err)
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		for _, m := range chunk {
			if m != nil {
				text.WriteString(m.Content)
			}
		}
	}
	stream.Close()
	assert.Equal(t, "chunk one, chunk two", text.String(), "the chunks reach the caller")
	require.Eventually(t, func() bool { return len(sr.Ended()) == 1 }, 5e9, 1e7)
	got := calls(sr)["call_9"]
	assert.Equal(t, call{"tail", "ok", `{"file":"log"}`, "chunk one, chunk two", "call_9"}, got, "recorded when the stream ends, with all its text")
}

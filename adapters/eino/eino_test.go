package eino_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	audit "github.com/toolaudit/toolaudit/adapters/eino"
	"github.com/toolaudit/toolaudit/audittest"
	"github.com/toolaudit/toolaudit/record"
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

// byCallID indexes calls by their call id.
func byCallID(calls []record.Entry) map[string]record.Entry {
	m := map[string]record.Entry{}
	for _, c := range calls {
		m[c.CallID] = c
	}
	return m
}

// known returns en without what a test cannot know: its time, duration and
// ids.
func known(en record.Entry) record.Entry {
	en.Time, en.Duration, en.TraceID, en.SpanID = time.Time{}, 0, "", ""
	return en
}

func toolCall(id, name, args string) schema.ToolCall {
	return schema.ToolCall{ID: id, Function: schema.FunctionCall{Name: name, Arguments: args}}
}

// refusing returns a middleware that refuses the calls of the tool deny,
// and the recorder of its calls.
func refusing(deny string) (*toolaudit.Middleware, *audittest.Recorder) {
	tp, rec := audittest.NewRecorder()
	return toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithAuthorizer(func(_ context.Context, c toolaudit.Call) error {
		if c.Tool == deny {
			return errors.New(deny + " is disabled")
		}
		return nil
	})), rec
}

// TestToolsNode runs real calls through an eino ToolsNode.
func TestToolsNode(t *testing.T) {
	mw, rec := refusing("shell")
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

	got := byCallID(rec.Calls())
	assert.Equal(t, record.Entry{Tool: "search", Status: record.StatusOK, Args: json.RawMessage(`{"q":"café"}`), ResultSnippet: "3 results", ResultChars: 9, CallID: "call_1"}, known(got["call_1"]))
	assert.Equal(t, record.StatusDenied, got["call_2"].Status)
	assert.Equal(t, record.StatusError, got["call_3"].Status)
	assert.Contains(t, got["call_3"].ResultSnippet, "backend down")
}

func TestStreamingTool(t *testing.T) {
	tp, rec := audittest.NewRecorder()
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
	require.Eventually(t, func() bool { return len(rec.Calls()) == 1 }, 5*time.Second, 10*time.Millisecond)
	got := byCallID(rec.Calls())["call_9"]
	assert.Equal(t, record.Entry{Tool: "tail", Status: record.StatusOK, Args: json.RawMessage(`{"file":"log"}`), ResultSnippet: "chunk one, chunk two", ResultChars: 20, CallID: "call_9"}, known(got), "recorded when the stream ends, with all its text")
}

type enhanced struct {
	name string
	ran  *bool
}

func (t enhanced) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: t.name, Desc: "multimodal"}, nil
}

func (t enhanced) InvokableRun(context.Context, *schema.ToolArgument, ...tool.Option) (*schema.ToolResult, error) {
	*t.ran = true
	return &schema.ToolResult{Parts: []schema.ToolOutputPart{
		{Type: schema.ToolPartTypeText, Text: "a chart of the café's hours"},
		{Type: schema.ToolPartTypeImage, Image: &schema.ToolOutputImage{MessagePartCommon: schema.MessagePartCommon{URL: ptr("https://example.com/chart.png")}}},
	}}, nil
}

type enhancedStream struct{ name string }

func (t enhancedStream) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: t.name, Desc: "streams multimodal"}, nil
}

func (t enhancedStream) StreamableRun(context.Context, *schema.ToolArgument, ...tool.Option) (*schema.StreamReader[*schema.ToolResult], error) {
	return schema.StreamReaderFromArray([]*schema.ToolResult{
		{Parts: []schema.ToolOutputPart{{Type: schema.ToolPartTypeText, Text: "frame one, "}}},
		{Parts: []schema.ToolOutputPart{{Type: schema.ToolPartTypeText, Text: "frame two"}}},
	}), nil
}

func ptr[T any](v T) *T { return &v }

// TestEnhancedTools runs multimodal (enhanced) tools, invokable and
// streamable, and a refused one, through a ToolsNode.
func TestEnhancedTools(t *testing.T) {
	mw, rec := refusing("camera")
	var chartRan, cameraRan bool
	ctx := context.Background()
	node, err := compose.NewToolNode(ctx, &compose.ToolsNodeConfig{
		Tools:               []tool.BaseTool{enhanced{"chart", &chartRan}, enhanced{"camera", &cameraRan}, enhancedStream{"film"}},
		ToolCallMiddlewares: []compose.ToolMiddleware{audit.Middleware(mw)},
	})
	require.NoError(t, err)
	msgs, err := node.Invoke(ctx, schema.AssistantMessage("", []schema.ToolCall{
		toolCall("call_1", "chart", `{"of":"hours"}`),
		toolCall("call_2", "camera", `{}`),
		toolCall("call_3", "film", `{"scene":1}`),
	}))
	require.NoError(t, err, "a refusal does not abort the graph")
	require.Len(t, msgs, 3)
	assert.True(t, chartRan)
	assert.False(t, cameraRan, "a refused tool does not run")
	refusal := false
	for _, p := range msgs[1].UserInputMultiContent {
		refusal = refusal || strings.HasPrefix(p.Text, audit.RefusalPrefix)
	}
	assert.True(t, refusal || strings.HasPrefix(msgs[1].Content, audit.RefusalPrefix), "the model reads the refusal: %+v", msgs[1])

	require.Eventually(t, func() bool { return len(rec.Calls()) == 3 }, 5*time.Second, 10*time.Millisecond)
	got := byCallID(rec.Calls())
	assert.Equal(t, record.Entry{Tool: "chart", Status: record.StatusOK, Args: json.RawMessage(`{"of":"hours"}`), ResultSnippet: "a chart of the café's hours\n[image]", ResultChars: 35, CallID: "call_1"}, known(got["call_1"]))
	assert.Equal(t, record.StatusDenied, got["call_2"].Status)
	assert.Equal(t, record.Entry{Tool: "film", Status: record.StatusOK, Args: json.RawMessage(`{"scene":1}`), ResultSnippet: "frame one, frame two", ResultChars: 20, CallID: "call_3"}, known(got["call_3"]))
}

// TestUnknownTools calls tools the node does not have: eino runs them
// through its UnknownToolsHandler, without tool middleware.
func TestUnknownTools(t *testing.T) {
	mw, rec := refusing("")
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		handle func(ctx context.Context, name, input string) (string, error)
		answer string
	}{
		{"default", nil, `tool "nosuch" does not exist`},
		{"own", func(_ context.Context, name, _ string) (string, error) { return "no tool " + name + " here", nil }, "no tool nosuch here"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec.Reset()
			node, err := compose.NewToolNode(ctx, &compose.ToolsNodeConfig{
				Tools:               []tool.BaseTool{invokable{"search", func(string) (string, error) { return "3 results", nil }}},
				ToolCallMiddlewares: []compose.ToolMiddleware{audit.Middleware(mw)},
				UnknownToolsHandler: audit.UnknownTools(mw, c.handle),
			})
			require.NoError(t, err)
			msgs, err := node.Invoke(ctx, schema.AssistantMessage("", []schema.ToolCall{toolCall("call_7", "nosuch", `{"x":1}`)}))
			require.NoError(t, err)
			require.Len(t, msgs, 1)
			assert.Equal(t, c.answer, msgs[0].Content, "the model reads the answer")
			got := byCallID(rec.Calls())
			assert.Equal(t, record.Entry{Tool: "nosuch", Status: record.StatusError, Args: json.RawMessage(`{"x":1}`), ResultSnippet: c.answer, ResultChars: utf8.RuneCountInString(c.answer), CallID: "call_7"}, known(got["call_7"]))
		})
	}
}

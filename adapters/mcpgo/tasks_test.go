package mcpgo_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/adapters/mcpgo"
	"github.com/toolaudit/toolaudit/audittest"
	"github.com/toolaudit/toolaudit/record"
)

// newServer returns an mcp-go server whose tool calls a's Auditor records
// for user, with the middleware refusing the tool deny, and the recorder
// of the calls.
func newServer(user, deny string, opts ...server.ServerOption) (*server.MCPServer, *mcpgo.Auditor, *audittest.Recorder) {
	tp, rec := audittest.NewRecorder()
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithAuthorizer(func(_ context.Context, c toolaudit.Call) error {
		if c.Tool == deny {
			return errors.New(deny + " is not allowed")
		}
		return nil
	}))
	a := mcpgo.New(mw, mcpgo.WithUser(func(context.Context) string { return user }))
	hooks := &server.Hooks{}
	a.AddHooks(hooks)
	opts = append([]server.ServerOption{server.WithToolCapabilities(false),
		server.WithToolHandlerMiddleware(a.Middleware()), server.WithHooks(hooks)}, opts...)
	return server.NewMCPServer("test", "1.0", opts...), a, rec
}

// startClient starts an in-process client of s, initialised with the
// protocol version.
func startClient(t *testing.T, s *server.MCPServer, version string) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClient(s)
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context()))
	t.Cleanup(func() { c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	_, err = c.Initialize(t.Context(), init)
	require.NoError(t, err)
	return c
}

type forecast struct {
	Temperature float64 `json:"temperature"`
}

// TestOutputValidationFailure checks that a result the server replaces
// after output schema validation is recorded twice (what the tool returned,
// and the error the client got), and that the Auditor does not keep such
// results: its record of the results it made drains once they are garbage.
func TestOutputValidationFailure(t *testing.T) {
	s, a, rec := newServer("alice", "", server.WithOutputSchemaValidation())
	s.AddTool(mcp.NewTool("weather", mcp.WithOutputSchema[forecast]()), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultStructuredOnly(map[string]any{"temperature": "warm"}), nil
	})
	c := startClient(t, s, mcp.LATEST_PROTOCOL_VERSION)

	const calls = 20
	for range calls {
		req := mcp.CallToolRequest{}
		req.Params.Name = "weather"
		r, err := c.CallTool(t.Context(), req)
		require.NoError(t, err)
		require.True(t, r.IsError, "the server refuses the tool's output")
	}
	got := rec.Calls()
	require.Len(t, got, 2*calls)
	for i := 0; i < len(got); i += 2 {
		assert.Equal(t, record.StatusOK, got[i].Status, "the tool's own result")
		assert.Equal(t, `{"temperature":"warm"}`, got[i].ResultSnippet)
		assert.Equal(t, record.StatusError, got[i+1].Status, "what the client got")
		assert.Contains(t, got[i+1].ResultSnippet, "temperature")
	}
	require.Eventually(t, func() bool {
		runtime.GC()
		return a.Remembered() == 0
	}, 10*time.Second, 10*time.Millisecond, "results replaced by the server are still held: %d", a.Remembered())
}

// TestTaskTools runs tool calls as tasks: a task tool's handler wrapped
// with TaskTool, a refused task tool call, and a plain tool that a client
// calls as a task, which goes through Middleware.
func TestTaskTools(t *testing.T) {
	s, a, rec := newServer("bob", "wipe", server.WithTaskCapabilities(true, true, true))
	s.AddTaskTool(mcp.NewTool("render", mcp.WithString("scene"), mcp.WithTaskSupport(mcp.TaskSupportRequired)),
		a.TaskTool(func(_ context.Context, req mcp.CallToolRequest) (*mcp.CreateTaskResult, error) {
			return &mcp.CreateTaskResult{Content: []mcp.Content{mcp.NewTextContent("rendered " + req.GetString("scene", ""))}}, nil
		}))
	wiped := false
	s.AddTaskTool(mcp.NewTool("wipe", mcp.WithTaskSupport(mcp.TaskSupportRequired)),
		a.TaskTool(func(context.Context, mcp.CallToolRequest) (*mcp.CreateTaskResult, error) {
			wiped = true
			return &mcp.CreateTaskResult{Content: []mcp.Content{mcp.NewTextContent("wiped")}}, nil
		}))
	s.AddTool(mcp.NewTool("count", mcp.WithNumber("n"), mcp.WithTaskSupport(mcp.TaskSupportOptional)),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("counted"), nil
		})
	// tasks/result, used below to read the refusal, is gone from the latest
	// protocol version.
	c := startClient(t, s, mcp.ProtocolVersion20251125)

	// Client.CallTool expects a tool result, not a task: send the
	// task-augmented requests through the client's transport.
	var taskIDs []string
	ttl := int64(500) // ms: the server then drops the task and its result
	for i, call := range []struct {
		name string
		args map[string]any
	}{{"render", map[string]any{"scene": "café"}}, {"wipe", map[string]any{}}, {"count", map[string]any{"n": 3}}} {
		resp, err := c.GetTransport().SendRequest(t.Context(), transport.JSONRPCRequest{
			JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(int64(100 + i)), Method: string(mcp.MethodToolsCall),
			Params: mcp.CallToolParams{Name: call.name, Arguments: call.args, Task: &mcp.TaskParams{TTL: &ttl}},
		})
		require.NoError(t, err, call.name)
		require.Nil(t, resp.Error, call.name)
		var created mcp.CreateTaskResult
		require.NoError(t, json.Unmarshal(resp.Result, &created), call.name)
		require.NotEmpty(t, created.Task.TaskId, call.name)
		taskIDs = append(taskIDs, created.Task.TaskId)
	}
	require.Eventually(t, func() bool { return len(rec.Calls()) == 3 }, 10*time.Second, 10*time.Millisecond)
	byTool := map[string]record.Entry{}
	for _, got := range rec.Calls() {
		byTool[got.Tool] = got
	}
	assert.Equal(t, record.StatusOK, byTool["render"].Status)
	assert.Equal(t, `{"scene":"café"}`, string(byTool["render"].Args))
	assert.Equal(t, "rendered café", byTool["render"].ResultSnippet)
	assert.Equal(t, "bob", byTool["render"].User)
	assert.Equal(t, record.StatusDenied, byTool["wipe"].Status)
	assert.False(t, wiped, "a refused task tool does not run")
	assert.Equal(t, record.StatusOK, byTool["count"].Status)
	assert.Equal(t, `{"n":3}`, string(byTool["count"].Args))
	assert.Equal(t, "counted", byTool["count"].ResultSnippet)

	// The refusal is the task's result, for the model to read.
	refusals := 0
	for _, id := range taskIDs {
		res, err := c.TaskResult(t.Context(), mcp.TaskResultRequest{Params: mcp.TaskResultParams{TaskId: id}})
		require.NoError(t, err)
		for _, content := range res.Content {
			if text, ok := content.(mcp.TextContent); ok && res.IsError {
				assert.Contains(t, text.Text, "wipe is not allowed")
				refusals++
			}
		}
	}
	assert.Equal(t, 1, refusals)
	require.Eventually(t, func() bool {
		runtime.GC()
		return a.Remembered() == 0
	}, 10*time.Second, 10*time.Millisecond, "the result of the call run as a task is held after the server dropped it")
}

// TestCallsRefusedBeforeAnyHandler checks that the tools/call requests
// mcp-go refuses before any handler runs are audited once each: task tools
// called without a task, one requiring it and one that only runs as a task.
// A handler's own error is audited once, by the middleware.
func TestCallsRefusedBeforeAnyHandler(t *testing.T) {
	s, a, rec := newServer("carol", "none", server.WithTaskCapabilities(true, true, true))
	ran := false
	s.AddTaskTool(mcp.NewTool("render", mcp.WithTaskSupport(mcp.TaskSupportRequired)),
		a.TaskTool(func(context.Context, mcp.CallToolRequest) (*mcp.CreateTaskResult, error) {
			ran = true
			return &mcp.CreateTaskResult{}, nil
		}))
	s.AddTaskTool(mcp.NewTool("draw", mcp.WithTaskSupport(mcp.TaskSupportOptional)),
		a.TaskTool(func(context.Context, mcp.CallToolRequest) (*mcp.CreateTaskResult, error) {
			ran = true
			return &mcp.CreateTaskResult{}, nil
		}))
	s.AddTool(mcp.NewTool("broken"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return nil, errors.New("backend down")
	})
	c := startClient(t, s, mcp.ProtocolVersion20251125)

	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = "render", map[string]any{"scene": "x"}
	_, err := c.CallTool(t.Context(), req)
	require.ErrorContains(t, err, "requires task augmentation")
	req.Params.Name, req.Params.Arguments = "draw", nil
	_, err = c.CallTool(t.Context(), req)
	require.ErrorContains(t, err, "does not support synchronous execution")
	req.Params.Name = "broken"
	_, err = c.CallTool(t.Context(), req)
	require.ErrorContains(t, err, "backend down")
	assert.False(t, ran, "no handler ran for the refused calls")

	got := rec.Calls()
	require.Len(t, got, 3, "%+v", got)
	assert.Equal(t, "render", got[0].Tool)
	assert.Equal(t, record.StatusError, got[0].Status)
	assert.Equal(t, `{"scene":"x"}`, string(got[0].Args))
	assert.Contains(t, got[0].ResultSnippet, "requires task augmentation")
	assert.Equal(t, "carol", got[0].User)
	assert.Equal(t, "draw", got[1].Tool)
	assert.Equal(t, record.StatusError, got[1].Status)
	assert.Contains(t, got[1].ResultSnippet, "does not support synchronous execution")
	assert.Equal(t, "broken", got[2].Tool)
	assert.Equal(t, "backend down", got[2].ResultSnippet, "audited once, by the middleware")
}

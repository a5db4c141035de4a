package mcpgo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/adapters/mcpgo"
	"github.com/toolaudit/toolaudit/record"
)

// TestServerCalls runs real tools/call requests through an mcp-go server
// and an in-process client.
func TestServerCalls(t *testing.T) {
	s, _, rec := newServer("alice", "delete", server.WithInputSchemaValidation())
	deleted := false
	s.AddTool(mcp.NewTool("search", mcp.WithString("q", mcp.Required())), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("3 results for " + req.GetArguments()["q"].(string)), nil
	})
	s.AddTool(mcp.NewTool("read", mcp.WithString("path")), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError("file not found"), nil
	})
	s.AddTool(mcp.NewTool("delete", mcp.WithString("path")), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		deleted = true
		return mcp.NewToolResultText("deleted"), nil
	})
	s.AddTool(mcp.NewTool("crash"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return nil, errors.New("backend down")
	})
	s.AddTool(mcp.NewTool("silent"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return nil, nil
	})

	ctx := context.Background()
	c := startClient(t, s, mcp.LATEST_PROTOCOL_VERSION)

	callTool := func(name string, args map[string]any) (*mcp.CallToolResult, error) {
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		return c.CallTool(ctx, req)
	}
	r, err := callTool("search", map[string]any{"q": "café"})
	require.NoError(t, err)
	assert.Equal(t, "3 results for café", mcpgo.TextOf(r))
	r, err = callTool("read", map[string]any{"path": "/x"})
	require.NoError(t, err)
	assert.True(t, r.IsError)
	r, err = callTool("delete", map[string]any{"path": "/"})
	require.NoError(t, err)
	assert.True(t, r.IsError, "a refusal is an error result the model can read")
	assert.Contains(t, mcpgo.TextOf(r), "delete is not allowed")
	assert.False(t, deleted)
	_, err = callTool("crash", nil)
	require.Error(t, err)
	_, err = callTool("silent", nil)
	require.Error(t, err, "mcp-go answers a call without a result with an error")
	_, err = callTool("nosuch", map[string]any{"x": 1})
	require.Error(t, err)
	r, err = callTool("search", map[string]any{"wrong": 1})
	require.NoError(t, err)
	assert.True(t, r.IsError, "input validation failure")

	got := rec.Calls()
	require.Len(t, got, 7, "%+v", got)
	want := []struct {
		tool   string
		status record.Status
		args   string
		result string
		user   string
	}{
		{"search", "ok", `{"q":"café"}`, "3 results for café", "alice"},
		{"read", "error", `{"path":"/x"}`, "file not found", "alice"},
		{"delete", "denied", `{"path":"/"}`, "tool call denied: delete is not allowed", "alice"},
		{"crash", "error", `{}`, "backend down", "alice"},
		{"silent", "error", `{}`, "the tool returned neither a result nor an error", "alice"},
		{"nosuch", "error", `{"x":1}`, "", "alice"},
		{"search", "error", `{"wrong":1}`, "", "alice"},
	}
	for i, w := range want {
		assert.Equal(t, w.tool, got[i].Tool, i)
		assert.Equal(t, w.status, got[i].Status, i)
		assert.Equal(t, w.args, string(got[i].Args), i)
		assert.Equal(t, w.user, got[i].User, i)
		if w.result != "" {
			assert.Equal(t, w.result, got[i].ResultSnippet, i)
		}
	}
	assert.Contains(t, got[5].ResultSnippet, "not found")
	assert.NotEmpty(t, got[6].ResultSnippet, "the validation message is recorded")
}

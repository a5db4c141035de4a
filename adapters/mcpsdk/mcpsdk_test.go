package mcpsdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/adapters/mcpsdk"
	"github.com/toolaudit/toolaudit/audittest"
	"github.com/toolaudit/toolaudit/record"
)

type searchIn struct {
	Q string `json:"q" jsonschema:"the query"`
}

type searchOut struct {
	Hits int `json:"hits"`
}

// known returns en without what a test cannot know: its time, duration and
// ids.
func known(en record.Entry) record.Entry {
	en.Time, en.Duration, en.TraceID, en.SpanID = time.Time{}, 0, "", ""
	return en
}

// TestServerCalls runs real tools/call requests from an SDK client to an
// SDK server over in-memory transports.
func TestServerCalls(t *testing.T) {
	tp, rec := audittest.NewRecorder()
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithAuthorizer(func(_ context.Context, c toolaudit.Call) error {
		if c.Tool == "delete" {
			return errors.New("deleting is not allowed")
		}
		return nil
	}))
	server := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	server.AddReceivingMiddleware(mcpsdk.Middleware(mw, mcpsdk.WithUser(func(context.Context, *mcp.CallToolRequest) string { return "bob" })))
	mcp.AddTool(server, &mcp.Tool{Name: "search", Description: "search"}, func(_ context.Context, _ *mcp.CallToolRequest, in searchIn) (*mcp.CallToolResult, searchOut, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "3 results for " + in.Q}}}, searchOut{Hits: 3}, nil
	})
	deleted := false
	mcp.AddTool(server, &mcp.Tool{Name: "delete", Description: "delete"}, func(context.Context, *mcp.CallToolRequest, searchIn) (*mcp.CallToolResult, searchOut, error) {
		deleted = true
		return nil, searchOut{}, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "fail", Description: "fail"}, func(context.Context, *mcp.CallToolRequest, searchIn) (*mcp.CallToolResult, searchOut, error) {
		return nil, searchOut{}, errors.New("backend down")
	})

	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	require.NoError(t, err)
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "client", Version: "1"}, nil).Connect(ctx, ct, nil)
	require.NoError(t, err)
	defer cs.Close()

	r, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"q": "café"}})
	require.NoError(t, err)
	assert.Equal(t, "3 results for café", mcpsdk.TextOf(r))
	r, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "delete", Arguments: map[string]any{"q": "x"}})
	require.NoError(t, err)
	assert.True(t, r.IsError)
	assert.Contains(t, mcpsdk.TextOf(r), "deleting is not allowed")
	assert.False(t, deleted)
	r, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "fail", Arguments: map[string]any{"q": "x"}})
	require.NoError(t, err, "the SDK turns a tool's error into an error result")
	assert.True(t, r.IsError)
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "nosuch", Arguments: map[string]any{"a": 1}})
	require.Error(t, err)
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"q": 5}})
	// Invalid arguments: an error result or a protocol error, audited either way.
	_ = err

	got := rec.Calls()
	require.Len(t, got, 5, "%+v", got)
	assert.Equal(t, record.Entry{Tool: "search", Status: record.StatusOK, Args: json.RawMessage(`{"q":"café"}`), ResultSnippet: "3 results for café", ResultChars: 18, User: "bob"}, known(got[0]))
	assert.Equal(t, record.StatusDenied, got[1].Status)
	assert.Equal(t, "tool call denied: deleting is not allowed", got[1].ResultSnippet)
	assert.Equal(t, record.StatusError, got[2].Status)
	assert.Contains(t, got[2].ResultSnippet, "backend down")
	assert.Equal(t, record.Entry{Tool: "nosuch", Status: record.StatusError, Args: json.RawMessage(`{"a":1}`), ResultSnippet: got[3].ResultSnippet, ResultChars: utf8.RuneCountInString(got[3].ResultSnippet), User: "bob"}, known(got[3]))
	assert.Contains(t, got[3].ResultSnippet, `unknown tool "nosuch"`)
	assert.Equal(t, record.StatusError, got[4].Status, "invalid arguments are audited as error")
	assert.Equal(t, `{"q":5}`, string(got[4].Args))
}

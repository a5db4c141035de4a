package mcpsdk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/adapters/mcpsdk"
	"github.com/toolaudit/toolaudit/audittest"
)

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// TestUserFromToken serves over streamable HTTP behind the SDK's bearer
// token check: the user comes from the verified token.
func TestUserFromToken(t *testing.T) {
	tp, rec := audittest.NewRecorder()
	server := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	server.AddReceivingMiddleware(mcpsdk.Middleware(toolaudit.New(toolaudit.WithTracerProvider(tp)),
		mcpsdk.WithUser(func(context.Context, *mcp.CallToolRequest) string { return "fallback" })))
	mcp.AddTool(server, &mcp.Tool{Name: "search", Description: "search"}, func(_ context.Context, _ *mcp.CallToolRequest, in searchIn) (*mcp.CallToolResult, searchOut, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, searchOut{}, nil
	})
	verify := func(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		if token != "secret-for-carol" {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{UserID: "carol", Expiration: time.Now().Add(time.Hour)}, nil
	}
	handler := auth.RequireBearerToken(verify, nil)(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	hs := httptest.NewServer(handler)
	defer hs.Close()

	ctx := context.Background()
	transport := &mcp.StreamableClientTransport{Endpoint: hs.URL, HTTPClient: &http.Client{Transport: bearer{"secret-for-carol"}}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "client", Version: "1"}, nil).Connect(ctx, transport, nil)
	require.NoError(t, err)
	defer cs.Close()
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"q": "x"}})
	require.NoError(t, err)
	got := rec.Calls()
	require.Len(t, got, 1)
	assert.Equal(t, "carol", got[0].User, "the token's user wins over the fallback function")
}

// Package mcpsdk audits the tool calls of a server built with the official
// MCP Go SDK (github.com/modelcontextprotocol/go-sdk): a receiving
// middleware that turns every tools/call request into one span and one
// audit line.
//
//	server.AddReceivingMiddleware(mcpsdk.Middleware(mw))
//
// It sees every tools/call before the server dispatches it, so a call of an
// unknown tool or with invalid arguments is audited too (status error, with
// the server's error message). A result with IsError set is recorded as
// error; a refused call (an authorizer of the middleware, fail-closed
// auditing, or a tool error wrapping toolaudit.ErrDenied) is answered with an
// IsError result carrying the refusal, so the model can read it.
//
// The user is, in order: the one toolaudit.UserFromContext finds in the context;
// req.Extra.TokenInfo.UserID when an auth layer (auth.RequireBearerToken)
// set it; the one WithUser's function returns.
package mcpsdk

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolaudit/toolaudit"
)

// Option configures Middleware.
type Option func(*config)

type config struct {
	user func(ctx context.Context, req *mcp.CallToolRequest) string
}

// WithUser takes the user of a call from user when neither the context nor
// the token carries one. A nil function is ignored.
func WithUser(user func(ctx context.Context, req *mcp.CallToolRequest) string) Option {
	return func(c *config) {
		if user != nil {
			c.user = user
		}
	}
}

// Middleware returns the receiving middleware that audits tools/call
// requests through mw (nil means toolaudit.New()). Other methods pass
// through untouched.
func Middleware(mw *toolaudit.Middleware, opts ...Option) mcp.Middleware {
	if mw == nil {
		mw = toolaudit.New()
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			call, ok := req.(*mcp.CallToolRequest)
			if method != "tools/call" || !ok || call.Params == nil {
				return next(ctx, method, req)
			}
			ctx = c.context(ctx, call)
			var result mcp.Result
			_, err := mw.Invoke(ctx, call.Params.Name, argsOf(call.Params.Arguments), func(ctx context.Context) (toolaudit.Result, error) {
				r, err := next(ctx, method, req)
				result = r
				if err != nil {
					return toolaudit.Result{}, err
				}
				ctr, _ := r.(*mcp.CallToolResult)
				return toolaudit.Result{Text: TextOf(ctr), IsError: ctr != nil && ctr.IsError}, nil
			})
			if err != nil && errors.Is(err, toolaudit.ErrDenied) {
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: err.Error()}}, IsError: true}, nil
			}
			return result, err
		}
	}
}

func (c *config) context(ctx context.Context, req *mcp.CallToolRequest) context.Context {
	if toolaudit.UserFromContext(ctx) != "" {
		return ctx
	}
	if req.Extra != nil && req.Extra.TokenInfo != nil && req.Extra.TokenInfo.UserID != "" {
		return toolaudit.ContextWithUser(ctx, req.Extra.TokenInfo.UserID)
	}
	if c.user != nil {
		if u := c.user(ctx, req); u != "" {
			return toolaudit.ContextWithUser(ctx, u)
		}
	}
	return ctx
}

// argsOf is what is recorded of the raw arguments.
func argsOf(raw json.RawMessage) any {
	if s := strings.TrimSpace(string(raw)); s == "" || s == "null" {
		return map[string]any{}
	}
	return raw
}

// TextOf is the text recorded of a result: its text contents joined by
// newlines, or its structured content as JSON when it has no text.
func TextOf(r *mcp.CallToolResult) string {
	if r == nil {
		return ""
	}
	var parts []string
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	if len(parts) == 0 && r.StructuredContent != nil {
		if b, err := json.Marshal(r.StructuredContent); err == nil {
			return string(b)
		}
	}
	return strings.Join(parts, "\n")
}

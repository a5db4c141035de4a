// Package mcpgo audits the tool calls of a github.com/mark3labs/mcp-go
// server: every tools/call becomes one span and one audit line.
//
//	a := mcpgo.New(mw)
//	hooks := &server.Hooks{}
//	a.AddHooks(hooks)
//	s := server.NewMCPServer("name", "1.0", server.WithToolHandlerMiddleware(a.Middleware()), server.WithHooks(hooks))
//
// Middleware audits each call that reaches a tool handler: the arguments
// (the raw JSON of the request when the server kept it, else
// GetArguments()), the text contents of the result, and status error when
// the handler returns an error or a result with IsError set. A refused
// call (an authorizer of the middleware, fail-closed auditing, or a handler
// error wrapping toolaudit.ErrDenied) is answered with an IsError result
// carrying the refusal, so the model can read it.
//
// AddHooks audits the calls that never reach the middleware: a call of an
// unknown tool (through the server's OnError hook) and a call whose
// arguments failed the server's input schema validation (through its
// AfterCallTool hook, which sees a result the middleware did not make).
//
// The user is the one toolaudit.UserFrom finds in the context, which the
// application fills from its transport (server.WithHTTPContextFunc,
// server.WithStdioContextFunc...), or the one WithUser's function returns.
package mcpgo

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/toolaudit/toolaudit"
)

// Auditor audits an mcp-go server's tool calls.
type Auditor struct {
	mw   *toolaudit.Middleware
	user func(context.Context) string
	seen sync.Map // *mcp.CallToolResult made through the middleware -> struct{}
}

// Option configures an Auditor.
type Option func(*Auditor)

// WithUser takes the user of a call from user(ctx) when the context holds
// none (toolaudit.WithUser). A nil function is ignored.
func WithUser(user func(ctx context.Context) string) Option {
	return func(a *Auditor) {
		if user != nil {
			a.user = user
		}
	}
}

// New returns an Auditor recording through mw (nil means toolaudit.New()).
func New(mw *toolaudit.Middleware, opts ...Option) *Auditor {
	if mw == nil {
		mw = toolaudit.New()
	}
	a := &Auditor{mw: mw}
	for _, o := range opts {
		o(a)
	}
	return a
}

func (a *Auditor) context(ctx context.Context) context.Context {
	if a.user != nil && toolaudit.UserFrom(ctx) == "" {
		if u := a.user(ctx); u != "" {
			ctx = toolaudit.WithUser(ctx, u)
		}
	}
	return ctx
}

// Middleware returns the server.ToolHandlerMiddleware that audits each call.
func (a *Auditor) Middleware() server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			var result *mcp.CallToolResult
			_, err := a.mw.Invoke(a.context(ctx), req.Params.Name, argsOf(req), func(ctx context.Context) (toolaudit.Result, error) {
				r, err := next(ctx, req)
				result = r
				if err != nil {
					return toolaudit.Result{}, err
				}
				return toolaudit.Result{Text: TextOf(r), IsError: r != nil && r.IsError}, nil
			})
			if err != nil && errors.Is(err, toolaudit.ErrDenied) {
				result, err = mcp.NewToolResultError(err.Error()), nil
			}
			if result != nil {
				a.seen.Store(result, struct{}{})
			}
			return result, err
		}
	}
}

// AddHooks adds to h the hooks that audit the calls the middleware never
// sees. Give h to the server with server.WithHooks.
func (a *Auditor) AddHooks(h *server.Hooks) {
	h.AddOnError(func(ctx context.Context, _ any, method mcp.MCPMethod, message any, err error) {
		req, ok := message.(*mcp.CallToolRequest)
		if method != mcp.MethodToolsCall || !ok || !errors.Is(err, server.ErrToolNotFound) {
			return
		}
		a.mw.Invoke(a.context(ctx), req.Params.Name, argsOf(*req), func(context.Context) (toolaudit.Result, error) {
			return toolaudit.Result{}, err
		})
	})
	h.AddAfterCallTool(func(ctx context.Context, _ any, req *mcp.CallToolRequest, result any) {
		r, ok := result.(*mcp.CallToolResult)
		if !ok || r == nil {
			return
		}
		if _, seen := a.seen.LoadAndDelete(r); seen {
			return
		}
		// A result the middleware did not make: input validation refused
		// the call before any handler ran.
		a.mw.Invoke(a.context(ctx), req.Params.Name, argsOf(*req), func(context.Context) (toolaudit.Result, error) {
			return toolaudit.Result{Text: TextOf(r), IsError: r.IsError}, nil
		})
	})
}

// argsOf is what is recorded of a request's arguments.
func argsOf(req mcp.CallToolRequest) any {
	if raw := req.Params.RawArguments; len(raw) > 0 && strings.TrimSpace(string(raw)) != "null" {
		return json.RawMessage(raw)
	}
	if args := req.GetArguments(); args != nil {
		return args
	}
	if req.Params.Arguments != nil {
		return req.Params.Arguments
	}
	return map[string]any{}
}

// TextOf is the text recorded of a result: its text contents, joined by
// newlines, or its structured content as JSON when it has no text.
func TextOf(r *mcp.CallToolResult) string {
	if r == nil {
		return ""
	}
	var parts []string
	for _, c := range r.Content {
		switch t := c.(type) {
		case mcp.TextContent:
			parts = append(parts, t.Text)
		case *mcp.TextContent:
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

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
// the handler returns an error, a result with IsError set, or neither a
// result nor an error (which mcp-go answers with an error). A refused
// call (an authorizer of the middleware, fail-closed auditing, or a handler
// error wrapping toolaudit.ErrDenied) is answered with an IsError result
// carrying the refusal, so the model can read it.
//
// AddHooks audits the calls that never reach the middleware: a call the
// server refuses before any handler runs, of an unknown tool or of a task
// tool without the task it requires or as the synchronous call it does not
// support (through the server's OnError hook), and a call whose
// arguments failed the server's input schema validation (through its
// AfterCallTool hook, which sees a result the middleware did not make).
// A result that fails the server's output schema validation is recorded
// twice: by the middleware as the tool returned it, and by the hook as the
// error the client gets instead.
//
// Tools added with server.AddTaskTool never pass through tool handler
// middleware: wrap their handlers with TaskTool. Tools added with AddTool
// that a client calls as a task go through Middleware as usual.
//
// The user is the one toolaudit.UserFromContext finds in the context, which the
// application fills from its transport (server.WithHTTPContextFunc,
// server.WithStdioContextFunc...), or the one WithUser's function returns.
package mcpgo

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync"
	"weak"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/toolaudit/toolaudit"
)

// Auditor audits an mcp-go server's tool calls.
type Auditor struct {
	mw   *toolaudit.Middleware
	user func(context.Context) string
	// made holds the results the middleware returned, so that the
	// AfterCallTool hook knows them. An entry leaves when its result is
	// garbage collected, so results that never reach the hook (replaced
	// by output validation, kept by a task, an intermediate round of a
	// multi-round-trip call) do not accumulate.
	made sync.Map // weak.Pointer[mcp.CallToolResult] -> struct{}
}

// remember notes that the middleware returned r.
func (a *Auditor) remember(r *mcp.CallToolResult) {
	k := weak.Make(r)
	if _, known := a.made.LoadOrStore(k, struct{}{}); !known {
		runtime.AddCleanup(r, func(k weak.Pointer[mcp.CallToolResult]) { a.made.Delete(k) }, k)
	}
}

// madeHere reports whether the middleware returned r.
func (a *Auditor) madeHere(r *mcp.CallToolResult) bool {
	_, ok := a.made.Load(weak.Make(r))
	return ok
}

// Option configures an Auditor.
type Option func(*Auditor)

// WithUser takes the user of a call from user(ctx) when the context holds
// none (toolaudit.ContextWithUser). A nil function is ignored.
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
	if a.user != nil && toolaudit.UserFromContext(ctx) == "" {
		if u := a.user(ctx); u != "" {
			ctx = toolaudit.ContextWithUser(ctx, u)
		}
	}
	return ctx
}

// Middleware returns the server.ToolHandlerMiddleware that audits each call.
func (a *Auditor) Middleware() server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			result, err := audit(a, ctx, req, next, func(r *mcp.CallToolResult) toolaudit.Result {
				return toolaudit.Result{Text: TextOf(r), IsError: r.IsError}
			}, func(refusal error) *mcp.CallToolResult {
				return mcp.NewToolResultError(refusal.Error())
			})
			if result != nil {
				a.remember(result)
			}
			return result, err
		}
	}
}

// TaskTool returns h audited, for server.AddTaskTool: mcp-go runs a task
// tool's handler in the task's goroutine without tool handler middleware,
// so Middleware never sees its calls. The record is the same as
// Middleware's, from the text contents (or structured content) of h's
// result; a refused call does not run h and completes the task with an
// IsError result carrying the refusal.
func (a *Auditor) TaskTool(h server.TaskToolHandlerFunc) server.TaskToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CreateTaskResult, error) {
		return audit(a, ctx, req, h, func(r *mcp.CreateTaskResult) toolaudit.Result {
			return toolaudit.Result{Text: textOf(r.Content, r.StructuredContent), IsError: r.IsError}
		}, func(refusal error) *mcp.CreateTaskResult {
			return &mcp.CreateTaskResult{Content: mcp.NewToolResultError(refusal.Error()).Content, IsError: true}
		})
	}
}

// noResult is recorded for a handler that returns neither a result nor an
// error: mcp-go answers such a call with an error.
const noResult = "the tool returned neither a result nor an error"

// audit runs handle on req as one audited call, recording record(result).
// A refused call is answered with refuse(refusal) and no error.
func audit[R any](a *Auditor, ctx context.Context, req mcp.CallToolRequest, handle func(context.Context, mcp.CallToolRequest) (*R, error),
	record func(*R) toolaudit.Result, refuse func(error) *R) (*R, error) {
	var result *R
	_, err := a.mw.Invoke(a.context(ctx), req.Params.Name, argsOf(req), func(ctx context.Context) (toolaudit.Result, error) {
		r, err := handle(ctx, req)
		result = r
		switch {
		case err != nil:
			return toolaudit.Result{}, err
		case r == nil:
			return toolaudit.Result{Text: noResult, IsError: true}, nil
		}
		return record(r), nil
	})
	if err != nil && errors.Is(err, toolaudit.ErrDenied) {
		result, err = refuse(err), nil
	}
	return result, err
}

// AddHooks adds to h the hooks that audit the calls the middleware never
// sees. Give h to the server with server.WithHooks.
func (a *Auditor) AddHooks(h *server.Hooks) {
	h.AddOnError(func(ctx context.Context, _ any, method mcp.MCPMethod, message any, err error) {
		req, ok := message.(*mcp.CallToolRequest)
		if method != mcp.MethodToolsCall || !ok || !refusedBeforeHandler(err) {
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
		if a.madeHere(r) {
			return
		}
		// A result the middleware did not make: input validation refused
		// the call before any handler ran.
		a.mw.Invoke(a.context(ctx), req.Params.Name, argsOf(*req), func(context.Context) (toolaudit.Result, error) {
			return toolaudit.Result{Text: TextOf(r), IsError: r.IsError}, nil
		})
	})
}

// refusedBeforeHandler reports whether err is mcp-go's answer to a
// tools/call that no handler ran for, which the middleware never saw: an
// unknown tool (INVALID_PARAMS), a call without the task augmentation its
// tool requires or with one it does not support (METHOD_NOT_FOUND). A
// handler's error (INTERNAL_ERROR, or the URL elicitation code) went
// through the middleware and is audited already.
func refusedBeforeHandler(err error) bool {
	var rpc interface{ ToJSONRPCError() mcp.JSONRPCError }
	if !errors.As(err, &rpc) {
		return false
	}
	switch rpc.ToJSONRPCError().Error.Code {
	case mcp.INVALID_PARAMS, mcp.METHOD_NOT_FOUND:
		return true
	}
	return false
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
	return textOf(r.Content, r.StructuredContent)
}

// textOf is TextOf of a result's parts.
func textOf(content []mcp.Content, structured any) string {
	var parts []string
	for _, c := range content {
		switch t := c.(type) {
		case mcp.TextContent:
			parts = append(parts, t.Text)
		case *mcp.TextContent:
			parts = append(parts, t.Text)
		}
	}
	if len(parts) == 0 && structured != nil {
		if b, err := json.Marshal(structured); err == nil {
			return string(b)
		}
	}
	return strings.Join(parts, "\n")
}

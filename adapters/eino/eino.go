// Package eino audits the tool calls of a github.com/cloudwego/eino
// ToolsNode: Middleware returns a compose.ToolMiddleware that records every
// call of an invokable or streamable tool as one span and one audit line,
// with the call id eino gives (gen_ai.tool.call.id).
//
//	node, err := compose.NewToolNode(ctx, &compose.ToolsNodeConfig{
//		Tools:               tools,
//		ToolCallMiddlewares: []compose.ToolMiddleware{eino.Middleware(mw)},
//	})
//
// A streamed result is recorded when its stream ends (or fails), with the
// text of all its chunks; the chunks reach the caller as they come. Because
// a tool error aborts the graph, a refused call (an authorizer of the
// middleware, fail-closed auditing, or a tool error wrapping
// toolaudit.ErrDenied) answers with a refusal text the model can read, not
// an error. Eino creates no OpenTelemetry span of its own for a tool call
// (its tracing goes through callbacks), so there is no second span.
package eino

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	"github.com/toolaudit/toolaudit"
)

// RefusalPrefix starts the text a refused call answers with.
const RefusalPrefix = "Tool call refused: "

// Middleware returns the ToolMiddleware auditing through mw (nil means
// toolaudit.New()).
func Middleware(mw *toolaudit.Middleware) compose.ToolMiddleware {
	if mw == nil {
		mw = toolaudit.New()
	}
	return compose.ToolMiddleware{
		Invokable: func(next compose.InvokableToolEndpoint) compose.InvokableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.ToolOutput, error) {
				var out *compose.ToolOutput
				_, err := mw.Invoke(toolaudit.WithCallID(ctx, in.CallID), in.Name, argsOf(in.Arguments), func(ctx context.Context) (toolaudit.Result, error) {
					o, err := next(ctx, in)
					out = o
					if err != nil || o == nil {
						return toolaudit.Result{}, err
					}
					return toolaudit.Result{Text: o.Result}, nil
				})
				if err != nil && errors.Is(err, toolaudit.ErrDenied) {
					return &compose.ToolOutput{Result: RefusalPrefix + err.Error()}, nil
				}
				return out, err
			}
		},
		Streamable: func(next compose.StreamableToolEndpoint) compose.StreamableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.StreamToolOutput, error) {
				return stream(toolaudit.WithCallID(ctx, in.CallID), mw, in, next)
			}
		},
	}
}

type started struct {
	out *compose.StreamToolOutput
	err error
}

// stream runs a streamable call: the span stays open until the stream
// ends, in a goroutine that passes each chunk on as it comes.
func stream(ctx context.Context, mw *toolaudit.Middleware, in *compose.ToolInput, next compose.StreamableToolEndpoint) (*compose.StreamToolOutput, error) {
	ready := make(chan started, 1)
	ran := false
	go func() {
		_, err := mw.Invoke(ctx, in.Name, argsOf(in.Arguments), func(ctx context.Context) (toolaudit.Result, error) {
			ran = true
			o, err := next(ctx, in)
			if err != nil || o == nil || o.Result == nil {
				ready <- started{o, err}
				return toolaudit.Result{}, err
			}
			sr, sw := schema.Pipe[string](1)
			ready <- started{out: &compose.StreamToolOutput{Result: sr}}
			defer o.Result.Close()
			defer sw.Close()
			var text strings.Builder
			for {
				chunk, err := o.Result.Recv()
				if errors.Is(err, io.EOF) {
					return toolaudit.Result{Text: text.String()}, nil
				}
				if err != nil {
					sw.Send("", err)
					return toolaudit.Result{Text: text.String()}, err
				}
				text.WriteString(chunk)
				if closed := sw.Send(chunk, nil); closed {
					// The reader went away: what it read is the result.
					return toolaudit.Result{Text: text.String()}, nil
				}
			}
		})
		if !ran {
			// Refused before the tool ran.
			ready <- started{err: err}
		}
	}()
	s := <-ready
	if s.err != nil && errors.Is(s.err, toolaudit.ErrDenied) {
		return &compose.StreamToolOutput{Result: schema.StreamReaderFromArray([]string{RefusalPrefix + s.err.Error()})}, nil
	}
	return s.out, s.err
}

// argsOf is what is recorded of an arguments string.
func argsOf(args string) any {
	if strings.TrimSpace(args) == "" {
		return map[string]any{}
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal([]byte(args), &probe) == nil && probe != nil {
		return json.RawMessage(args)
	}
	return map[string]any{"input": args}
}

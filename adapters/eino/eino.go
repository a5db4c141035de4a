// Package eino audits the tool calls of a github.com/cloudwego/eino
// ToolsNode: Middleware returns a compose.ToolMiddleware that records every
// call of an invokable or streamable tool, plain or enhanced (multimodal),
// as one span and one audit line, with the call id eino gives
// (gen_ai.tool.call.id).
//
//	node, err := compose.NewToolNode(ctx, &compose.ToolsNodeConfig{
//		Tools:               tools,
//		ToolCallMiddlewares: []compose.ToolMiddleware{eino.Middleware(mw)},
//	})
//
// Calls of tools the node does not have bypass tool middleware in eino:
// give the node UnknownToolsHandler: UnknownTools(mw, nil) to audit them.
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
	"fmt"
	"io"
	"strings"

	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	"github.com/toolaudit/toolaudit"
)

// RefusalPrefix starts the text a refused call answers with.
const RefusalPrefix = "Tool call refused: "

// Middleware returns the ToolMiddleware auditing through mw (nil means
// toolaudit.New()): invokable, streamable, enhanced invokable and enhanced
// streamable tools. An enhanced tool's multimodal result is recorded as
// its text parts, each other part as its type in brackets ("[image]").
func Middleware(mw *toolaudit.Middleware) compose.ToolMiddleware {
	if mw == nil {
		mw = toolaudit.New()
	}
	return compose.ToolMiddleware{
		Invokable: func(next compose.InvokableToolEndpoint) compose.InvokableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.ToolOutput, error) {
				return invoke(ctx, mw, in, next, func(o *compose.ToolOutput) string { return o.Result },
					func(refusal string) *compose.ToolOutput { return &compose.ToolOutput{Result: refusal} })
			}
		},
		Streamable: func(next compose.StreamableToolEndpoint) compose.StreamableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.StreamToolOutput, error) {
				return stream(ctx, mw, in, next, textChunks)
			}
		},
		EnhancedInvokable: func(next compose.EnhancedInvokableToolEndpoint) compose.EnhancedInvokableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.EnhancedInvokableToolOutput, error) {
				return invoke(ctx, mw, in, next, func(o *compose.EnhancedInvokableToolOutput) string { return textOf(o.Result) },
					func(refusal string) *compose.EnhancedInvokableToolOutput {
						return &compose.EnhancedInvokableToolOutput{Result: textResult(refusal)}
					})
			}
		},
		EnhancedStreamable: func(next compose.EnhancedStreamableToolEndpoint) compose.EnhancedStreamableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.EnhancedStreamableToolOutput, error) {
				return stream(ctx, mw, in, next, resultChunks)
			}
		},
	}
}

// UnknownTools returns a handler for compose.ToolsNodeConfig's
// UnknownToolsHandler that audits the calls of tools the node does not
// have, which eino runs without tool middleware. Each is recorded with
// status error and the answer of handle, which runs for every such call;
// a nil handle answers "tool NAME does not exist", which the model reads as
// the tool's output. Without an UnknownToolsHandler eino aborts the whole
// call of the node with an error and nothing is audited.
func UnknownTools(mw *toolaudit.Middleware, handle func(ctx context.Context, name, input string) (string, error)) func(ctx context.Context, name, input string) (string, error) {
	if mw == nil {
		mw = toolaudit.New()
	}
	if handle == nil {
		handle = func(_ context.Context, name, _ string) (string, error) {
			return fmt.Sprintf("tool %q does not exist", name), nil
		}
	}
	return func(ctx context.Context, name, input string) (string, error) {
		res, err := mw.Invoke(toolaudit.ContextWithCallID(ctx, compose.GetToolCallID(ctx)), name, argsOf(input), func(ctx context.Context) (toolaudit.Result, error) {
			out, err := handle(ctx, name, input)
			return toolaudit.Result{Text: out, IsError: true}, err
		})
		if err != nil && errors.Is(err, toolaudit.ErrDenied) {
			return RefusalPrefix + err.Error(), nil
		}
		return res.Text, err
	}
}

// invoke runs a call that answers at once, recording text(output); a
// refused call answers refuse(RefusalPrefix + refusal).
func invoke[O any](ctx context.Context, mw *toolaudit.Middleware, in *compose.ToolInput, next func(context.Context, *compose.ToolInput) (*O, error),
	text func(*O) string, refuse func(string) *O) (*O, error) {
	var out *O
	_, err := mw.Invoke(toolaudit.ContextWithCallID(ctx, in.CallID), in.Name, argsOf(in.Arguments), func(ctx context.Context) (toolaudit.Result, error) {
		o, err := next(ctx, in)
		out = o
		if err != nil || o == nil {
			return toolaudit.Result{}, err
		}
		return toolaudit.Result{Text: text(o)}, nil
	})
	if err != nil && errors.Is(err, toolaudit.ErrDenied) {
		return refuse(RefusalPrefix + err.Error()), nil
	}
	return out, err
}

// chunks is how stream handles a streaming endpoint's output O, a stream
// of chunks C.
type chunks[O, C any] struct {
	reader func(*O) *schema.StreamReader[C]
	output func(*schema.StreamReader[C]) *O
	text   func(C) string // what a chunk adds to the recorded result
	chunk  func(text string) C
}

var textChunks = chunks[compose.StreamToolOutput, string]{
	reader: func(o *compose.StreamToolOutput) *schema.StreamReader[string] { return o.Result },
	output: func(r *schema.StreamReader[string]) *compose.StreamToolOutput {
		return &compose.StreamToolOutput{Result: r}
	},
	text:  func(s string) string { return s },
	chunk: func(s string) string { return s },
}

var resultChunks = chunks[compose.EnhancedStreamableToolOutput, *schema.ToolResult]{
	reader: func(o *compose.EnhancedStreamableToolOutput) *schema.StreamReader[*schema.ToolResult] {
		return o.Result
	},
	output: func(r *schema.StreamReader[*schema.ToolResult]) *compose.EnhancedStreamableToolOutput {
		return &compose.EnhancedStreamableToolOutput{Result: r}
	},
	text:  textOf,
	chunk: textResult,
}

type started[O any] struct {
	out *O
	err error
}

// stream runs a streamable call: the span stays open until the stream
// ends, in a goroutine that passes each chunk on as it comes.
func stream[O, C any](ctx context.Context, mw *toolaudit.Middleware, in *compose.ToolInput, next func(context.Context, *compose.ToolInput) (*O, error), k chunks[O, C]) (*O, error) {
	ctx = toolaudit.ContextWithCallID(ctx, in.CallID)
	ready := make(chan started[O], 1)
	ran := false
	go func() {
		_, err := mw.Invoke(ctx, in.Name, argsOf(in.Arguments), func(ctx context.Context) (toolaudit.Result, error) {
			ran = true
			o, err := next(ctx, in)
			if err != nil || o == nil || k.reader(o) == nil {
				ready <- started[O]{o, err}
				return toolaudit.Result{}, err
			}
			src := k.reader(o)
			sr, sw := schema.Pipe[C](1)
			ready <- started[O]{out: k.output(sr)}
			defer src.Close()
			defer sw.Close()
			var text strings.Builder
			for {
				chunk, err := src.Recv()
				if errors.Is(err, io.EOF) {
					return toolaudit.Result{Text: text.String()}, nil
				}
				if err != nil {
					var zero C
					sw.Send(zero, err)
					return toolaudit.Result{Text: text.String()}, err
				}
				text.WriteString(k.text(chunk))
				if closed := sw.Send(chunk, nil); closed {
					// The reader went away: what it read is the result.
					return toolaudit.Result{Text: text.String()}, nil
				}
			}
		})
		if !ran {
			// Refused before the tool ran.
			ready <- started[O]{err: err}
		}
	}()
	s := <-ready
	if s.err != nil && errors.Is(s.err, toolaudit.ErrDenied) {
		return k.output(schema.StreamReaderFromArray([]C{k.chunk(RefusalPrefix + s.err.Error())})), nil
	}
	return s.out, s.err
}

// textOf is the text recorded of an enhanced tool's result: its parts,
// text as it is and any other part as its type in brackets, one per line.
func textOf(r *schema.ToolResult) string {
	if r == nil {
		return ""
	}
	parts := make([]string, len(r.Parts))
	for i, p := range r.Parts {
		if p.Type == schema.ToolPartTypeText {
			parts[i] = p.Text
		} else {
			parts[i] = "[" + string(p.Type) + "]"
		}
	}
	return strings.Join(parts, "\n")
}

// textResult is a result of one text part.
func textResult(text string) *schema.ToolResult {
	return &schema.ToolResult{Parts: []schema.ToolOutputPart{{Type: schema.ToolPartTypeText, Text: text}}}
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

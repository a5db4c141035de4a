// Package langchaingo audits the tools of a github.com/tmc/langchaingo
// agent: Wrap returns a tools.Tool that records every call as toolaudit's
// middleware does (one span, one audit line).
//
// A langchaingo tool takes one input string. When it holds a JSON object it
// is recorded as the arguments; any other text is recorded as
// {"input": text}. Because a tool error aborts langchaingo's executor, a
// refused call (an authorizer of the middleware, or fail-closed auditing)
// does not return an error: the tool answers with a refusal text the model
// can read, and the call is recorded as denied. Errors of the tool itself
// are returned as they are.
//
// A model that names a tool the agent does not have never reaches a
// wrapped tool: the executor answers it with "X is not a valid tool, try
// another one". UnknownTools is the callbacks handler that audits those
// calls too.
package langchaingo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/schema"
	"github.com/tmc/langchaingo/tools"

	"github.com/toolaudit/toolaudit"
)

// RefusalPrefix starts the text a refused call answers with.
const RefusalPrefix = "Tool call refused: "

// Tool is an audited langchaingo tool.
type Tool struct {
	inner tools.Tool
	mw    *toolaudit.Middleware
	opts  []toolaudit.Option
}

var _ tools.Tool = (*Tool)(nil)

// Wrap returns t audited through mw (nil means toolaudit.New()) with opts.
func Wrap(mw *toolaudit.Middleware, t tools.Tool, opts ...toolaudit.Option) *Tool {
	if mw == nil {
		mw = toolaudit.New()
	}
	return &Tool{inner: t, mw: mw, opts: opts}
}

// WrapAll wraps each tool of ts, for agents.NewOneShotAgent and friends.
func WrapAll(mw *toolaudit.Middleware, ts []tools.Tool, opts ...toolaudit.Option) []tools.Tool {
	out := make([]tools.Tool, len(ts))
	for i, t := range ts {
		out[i] = Wrap(mw, t, opts...)
	}
	return out
}

// Name is the wrapped tool's name.
func (t *Tool) Name() string { return t.inner.Name() }

// Description is the wrapped tool's description.
func (t *Tool) Description() string { return t.inner.Description() }

// Call runs the wrapped tool, audited. See the package comment for what a
// refusal returns.
func (t *Tool) Call(ctx context.Context, input string) (string, error) {
	res, err := t.mw.Invoke(ctx, t.inner.Name(), argsOf(input), func(ctx context.Context) (toolaudit.Result, error) {
		out, err := t.inner.Call(ctx, input)
		return toolaudit.Result{Text: out}, err
	}, t.opts...)
	if err != nil && errors.Is(err, toolaudit.ErrDenied) {
		return RefusalPrefix + err.Error(), nil
	}
	return res.Text, err
}

// UnknownTools returns a callbacks.Handler that audits through mw (nil
// means toolaudit.New()), with opts, each agent action naming none of ts,
// matched ignoring case as the executor matches them: the executor answers
// such an action with "X is not a valid tool, try another one" and runs no
// tool, so no wrapped tool sees it. It is recorded as an error wrapping
// toolaudit.ErrUnknownTool, with the action's input as the arguments. Give
// it to the executor with agents.WithCallbacksHandler (inside a
// callbacks.CombiningHandler to keep a handler of your own). Its other
// callbacks do nothing.
func UnknownTools(mw *toolaudit.Middleware, ts []tools.Tool, opts ...toolaudit.Option) callbacks.Handler {
	if mw == nil {
		mw = toolaudit.New()
	}
	known := make(map[string]bool, len(ts))
	for _, t := range ts {
		known[strings.ToUpper(t.Name())] = true
	}
	return unknownTools{mw: mw, known: known, opts: opts}
}

type unknownTools struct {
	callbacks.SimpleHandler
	mw    *toolaudit.Middleware
	known map[string]bool
	opts  []toolaudit.Option
}

func (u unknownTools) HandleAgentAction(ctx context.Context, action schema.AgentAction) {
	if u.known[strings.ToUpper(action.Tool)] {
		return
	}
	// The input as the executor would have passed it to the tool.
	input := strings.TrimSuffix(action.ToolInput, "\nObservation:")
	u.mw.Invoke(ctx, action.Tool, argsOf(input), func(context.Context) (toolaudit.Result, error) {
		return toolaudit.Result{}, fmt.Errorf("%w: %s is not a valid tool, try another one", toolaudit.ErrUnknownTool, action.Tool)
	}, u.opts...)
}

// argsOf is what is recorded of an input string.
func argsOf(input string) any {
	var probe map[string]json.RawMessage
	if json.Unmarshal([]byte(input), &probe) == nil && probe != nil {
		return json.RawMessage(input)
	}
	return map[string]any{"input": input}
}

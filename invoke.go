package toolaudit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/toolaudit/toolaudit/internal/jsonw"
)

// Result is what a framework adapter reports of a call it ran (see
// Middleware.Invoke).
type Result struct {
	// Text is the result recorded: its length and first characters.
	Text string
	// IsError marks a call that failed without a Go error, as an MCP tool
	// result with isError set: it is recorded with status error.
	IsError bool
}

// Invoke audits one call of tool name that the caller runs, as adapters do
// (see the package doc): fn runs unless the call is refused, when Invoke
// returns an error wrapping ErrDenied. The status is error when fn returns
// an error or a Result with IsError, denied when the error wraps ErrDenied;
// a panic in fn is recorded and re-raised. opts apply to this call only.
func (m *Middleware) Invoke(ctx context.Context, name string, args any, fn func(context.Context) (Result, error), opts ...Option) (Result, error) {
	b := m.binding(name, opts)
	return invoke(ctx, b, args, func(buf []byte) []byte {
		return b.args.appendArgsAny(buf, args)
	}, fn, func(r Result) string { return r.Text }, func(r Result) bool { return r.IsError })
}

// maxToolName is the longest tool name, in code points, Invoke records as
// it is (the exporter cuts the fields of an oversized line to as many).
const maxToolName = 256

// maxCachedNames bounds the tool names Invoke remembers. Its names come
// from models and clients, and a hallucinated or hostile name is as good
// as a real one: past this many, a new name's binding is made for its call
// alone (one small allocation), so memory stays bounded.
const maxCachedNames = 1024

// binding returns the binding of name: made for this call when opts is not
// empty, else a copy of the middleware's shared binding with the name,
// remembered for the first maxCachedNames names.
func (m *Middleware) binding(name string, opts []Option) *binding {
	name = jsonw.Cut(name, maxToolName)
	if len(opts) > 0 {
		return m.bind(name, opts, m.binding(name, nil).metrics)
	}
	if b, ok := m.bindings.Load(name); ok {
		return b.(*binding)
	}
	m.once.Do(func() {
		m.shared = m.bind("", nil, nil)
		m.other = m.shared.metrics.in.forTool(otherValue)
	})
	if m.cached.Load() >= maxCachedNames {
		// Measured as _OTHER: the names are unbounded, series must not be.
		return m.shared.named(name, m.other)
	}
	b := m.shared.named(name, nil)
	if got, loaded := m.bindings.LoadOrStore(name, b); loaded {
		return got.(*binding)
	}
	m.cached.Add(1)
	return b
}

// Dispatcher runs registered tools by name, for programs that call a
// model's API (OpenAI, Anthropic) directly and get back tool calls as an
// id, a name and a JSON arguments string. Every dispatched call is audited,
// also calls of unknown tools and calls whose arguments are not a JSON
// object. Register tools before dispatching; Dispatch is then safe for
// concurrent use.
type Dispatcher struct {
	mw    *Middleware
	tools map[string]Tool
}

// NewDispatcher returns a Dispatcher auditing through mw (nil means New()).
func NewDispatcher(mw *Middleware) *Dispatcher {
	if mw == nil {
		mw = New()
	}
	return &Dispatcher{mw: mw, tools: map[string]Tool{}}
}

// Register adds the tool name, wrapped with the dispatcher's middleware and
// opts. A second registration of a name replaces the first.
func (d *Dispatcher) Register(name string, fn Tool, opts ...Option) {
	d.tools[name] = d.mw.Wrap(name, fn, opts...)
}

// ErrUnknownTool is wrapped by the error recorded for a call of a tool that
// is not registered.
var ErrUnknownTool = errors.New("unknown tool")

// Dispatch runs the call callID of the tool name with the JSON object
// argsJSON ("" means {}) and returns the text to send back to the model as
// the tool result, and whether it is an error (to set is_error, or to tell
// the model the call failed). A tool's error, a refusal, an unknown tool
// and arguments that are not a JSON object all come back as isError with
// their message; each is audited.
func (d *Dispatcher) Dispatch(ctx context.Context, callID, name, argsJSON string) (result string, isError bool) {
	ctx = ContextWithCallID(ctx, callID)
	tool, ok := d.tools[name]
	var args map[string]any
	var argErr error
	if argsJSON != "" {
		if err := json.Unmarshal([]byte(argsJSON), &args); err != nil || args == nil {
			argErr = fmt.Errorf("arguments of tool %q are not a JSON object: %q", name, argsJSON)
		}
	}
	if !ok || argErr != nil {
		// Audited as a failed call of name, with the arguments as they came.
		err := argErr
		if !ok {
			err = fmt.Errorf("%w %q", ErrUnknownTool, name)
		}
		raw := json.RawMessage(argsJSON)
		if argsJSON == "" {
			raw = json.RawMessage("{}")
		}
		if argErr != nil {
			raw, _ = json.Marshal(map[string]string{"_unparsed": argsJSON})
		}
		_, err = d.mw.Invoke(ctx, name, raw, func(context.Context) (Result, error) { return Result{}, err })
		return err.Error(), true
	}
	out, err := tool(ctx, args)
	if err != nil {
		return err.Error(), true
	}
	return out, false
}

// Package audittest helps test code that audits tool calls, such as
// framework adapters: a tracer provider that records tool spans, and the
// calls read back from them.
//
//	tp, rec := audittest.NewRecorder()
//	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
//	... make calls ...
//	calls := rec.Calls() // one Call per ended tool span, in order
package audittest

import (
	"github.com/toolaudit/toolaudit/internal/spanattr"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Call is what one tool span recorded.
type Call struct {
	Tool   string // gen_ai.tool.name
	Status string // toolaudit.status
	Args   string // gen_ai.tool.call.arguments
	Result string // gen_ai.tool.call.result
	User   string // enduser.id
	Engine string // gen_ai.provider.name
	Model  string // gen_ai.request.model
	CallID string // gen_ai.tool.call.id
}

// Recorder keeps the tool spans that end. It is safe for concurrent use.
type Recorder struct {
	sr *tracetest.SpanRecorder
}

// NewRecorder returns a tracer provider whose ended spans rec keeps. All
// spans are sampled.
func NewRecorder() (*trace.TracerProvider, *Recorder) {
	sr := tracetest.NewSpanRecorder()
	return trace.NewTracerProvider(trace.WithSpanProcessor(sr)), &Recorder{sr: sr}
}

// Calls returns the calls of the tool spans ended so far, in the order they
// ended; other spans are left out.
func (r *Recorder) Calls() []Call {
	var out []Call
	for _, s := range r.sr.Ended() {
		attrs := s.Attributes()
		if !spanattr.IsToolSpan(attrs) {
			continue
		}
		tc := spanattr.Read(attrs)
		c := Call{Tool: tc.Tool, Status: tc.Status, Args: tc.Arguments, Result: tc.Result,
			User: tc.User, Engine: tc.Engine, Model: tc.Model, CallID: tc.CallID}
		out = append(out, c)
	}
	return out
}

// Reset forgets the spans recorded so far.
func (r *Recorder) Reset() { r.sr.Reset() }

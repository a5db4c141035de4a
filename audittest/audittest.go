// Package audittest helps test code that audits tool calls, such as
// framework adapters: a tracer provider that records tool spans, and the
// audit lines read back from them.
//
//	tp, rec := audittest.NewRecorder()
//	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
//	... make calls ...
//	for _, en := range rec.Calls() { // one record.Entry per ended tool span, in order
//		fmt.Println(en.Tool, en.Status, string(en.Args), en.ResultSnippet)
//	}
package audittest

import (
	"bytes"

	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit/internal/spanattr"
	"github.com/toolaudit/toolaudit/record"
)

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

// Calls returns, for the tool spans ended so far in the order they ended,
// the entry the exporter would write for each: Time is the span's end,
// TraceID and SpanID its ids in hex. Other spans are left out. The entries
// are the caller's.
func (r *Recorder) Calls() []record.Entry {
	var out []record.Entry
	for _, s := range r.sr.Ended() {
		attrs := s.Attributes()
		if !spanattr.IsToolSpan(attrs) {
			continue
		}
		en := spanattr.Entry(s, attrs)
		// A copy: Entry's Args is a view of the attribute's string.
		en.Args = bytes.Clone(en.Args)
		sc := s.SpanContext()
		en.TraceID, en.SpanID = sc.TraceID().String(), sc.SpanID().String()
		out = append(out, en)
	}
	return out
}

// Reset forgets the spans recorded so far.
func (r *Recorder) Reset() { r.sr.Reset() }

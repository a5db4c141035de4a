// Package toolaudit audits every tool call an LLM agent makes.
//
// # Wrapping tools
//
// A tool is a Go function. Wrap (or Middleware.Wrap, or WrapFunc for typed
// tools) returns a function of the same shape that turns each call into
// one OpenTelemetry span, "execute_tool {tool}", with the attributes of the
// GenAI semantic conventions (docs/otel.md lists them):
//
//	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
//	search := mw.Wrap("search", func(ctx context.Context, args map[string]any) (string, error) {
//		return "3 results", nil
//	})
//	ctx = toolaudit.ContextWithUser(ctx, "alice")
//	ctx = toolaudit.ContextWithRun(ctx, "anthropic", "claude-sonnet-4-5")
//	out, err := search(ctx, map[string]any{"q": "weather"})
//
// # What is recorded
//
// The user (ContextWithUser), the engine and model of the run
// (ContextWithRun), the model's call id (ContextWithCallID), the arguments
// as a JSON object whose string values longer than 500 code points are cut
// to 500 plus " …[N chars total]", the status, the result's length in code
// points and its first 300 code points. The status is ok when the tool returns no error, error
// when it returns one (the error's message is the recorded result) or
// panics (the panic is re-raised), and denied when the tool's error wraps
// ErrDenied or an Authorizer refuses the call, in which case the tool does
// not run.
//
// # Where it goes
//
// The root package knows nothing of files. otelx.NewTracerProvider wires a
// tracer provider whose audit processor hands every tool span, sampled or
// not, to an exporter, usually exporter.New, which appends one JSON line per
// call to {root}/{user}/tool_audit/YYYY-MM-DD.jsonl. Package reader reads
// those files back as record.Entry values. A call whose span is not recording (no
// tracer provider, or a sampler that drops it) is not audited; the first
// such call of a Middleware is reported to the OpenTelemetry error handler.
//
// # Metrics
//
// Every call is also measured in the histogram gen_ai.execute_tool.duration
// of the GenAI conventions, by tool name and toolaudit.status (ok, error,
// denied), with error.type on errors only, through the meter provider of
// WithMeterProvider (the global one by default). docs/metrics.md lists the
// instruments, the audit's own health metrics and the alert rules.
//
// # Adapters
//
// Frameworks that run tools themselves (MCP servers, agent libraries) use
// Middleware.Invoke: the framework runs the tool, Invoke records the call.
// Invoke records args as WrapFunc records its input; a tool name longer than
// 256 code points is recorded as its first 256 and "…", since adapters take
// names from clients and models and one call must not make a span too large
// for a tracing backend. Programs that call a model's API directly use a
// Dispatcher, which runs registered tools by name from the model's JSON.
package toolaudit

package toolaudit

import "context"

type ctxKey int

const (
	userKey ctxKey = iota
	runKey
	callIDKey
)

type run struct{ engine, model string }

// ContextWithUser returns a copy of ctx that attributes the tool calls made
// with it to user, whose name is the folder of the audit file (see package
// exporter for which names are valid).
func ContextWithUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey, user)
}

// UserFromContext returns the user set by ContextWithUser, or "".
func UserFromContext(ctx context.Context) string {
	u, _ := ctx.Value(userKey).(string)
	return u
}

// ContextWithRun returns a copy of ctx that tags the tool calls made with it
// with the engine (the model provider, such as "anthropic") and model of the
// agent run, as an orchestrator does before its tool loop.
func ContextWithRun(ctx context.Context, engine, model string) context.Context {
	return context.WithValue(ctx, runKey, run{engine, model})
}

// RunFromContext returns the engine and model set by ContextWithRun, or "", "".
func RunFromContext(ctx context.Context) (engine, model string) {
	r, _ := ctx.Value(runKey).(run)
	return r.engine, r.model
}

// ContextWithCallID returns a copy of ctx carrying the model's id for the
// next tool call (gen_ai.tool.call.id). Adapters set it from the framework's
// call.
func ContextWithCallID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, callIDKey, id)
}

// CallIDFromContext returns the call id set by ContextWithCallID, or "".
func CallIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(callIDKey).(string)
	return id
}

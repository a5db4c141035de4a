package toolaudit

import "context"

type ctxKey int

const (
	userKey ctxKey = iota
	runKey
	callIDKey
)

type run struct{ engine, model string }

// WithUser returns a copy of ctx that attributes the tool calls made with it
// to user. The user names the folder of the audit file (see package
// exporter for which names are valid).
func WithUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey, user)
}

// UserFrom returns the user set by WithUser, or "".
func UserFrom(ctx context.Context) string {
	u, _ := ctx.Value(userKey).(string)
	return u
}

// WithRun returns a copy of ctx that tags the tool calls made with it with
// the engine (the model provider, such as "anthropic") and model of the
// agent run, as an orchestrator does before its tool loop.
func WithRun(ctx context.Context, engine, model string) context.Context {
	return context.WithValue(ctx, runKey, run{engine, model})
}

// RunFrom returns the engine and model set by WithRun, or "", "".
func RunFrom(ctx context.Context) (engine, model string) {
	r, _ := ctx.Value(runKey).(run)
	return r.engine, r.model
}

// WithCallID returns a copy of ctx carrying the model's id for the next tool
// call (gen_ai.tool.call.id). Adapters set it from the framework's call.
func WithCallID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, callIDKey, id)
}

// CallIDFrom returns the call id set by WithCallID, or "".
func CallIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(callIDKey).(string)
	return id
}

package toolaudit

import (
	"context"

	"go.opentelemetry.io/otel/trace"
)

// Default truncation limits, the reference module's.
const (
	// DefaultArgLimit is the length, in Unicode code points, above which a
	// string argument value is truncated.
	DefaultArgLimit = 500
	// DefaultSnippetLimit is the length, in code points, of the result
	// snippet.
	DefaultSnippetLimit = 300
)

// Call describes a tool call to an Authorizer.
type Call struct {
	Tool   string // the tool's name
	User   string // the user, from the context or OverrideUser
	Engine string // the engine of the run
	Model  string // the model of the run
	CallID string // the model's call id, "" when unknown
	// Args are the arguments as the tool receives them: a map[string]any
	// for Wrap, the typed input for WrapFunc. An Authorizer must not
	// modify them.
	Args any
}

// Authorizer decides whether a call may run. A nil error lets it run; any
// other error refuses it: the tool is not run, the call is recorded as
// denied with the error's message, and the caller gets an error wrapping
// both ErrDenied and the authorizer's error.
type Authorizer func(ctx context.Context, call Call) error

// Option configures a Middleware, or one tool when given to Wrap.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp           trace.TracerProvider
	user         *string
	run          *run
	authorizer   Authorizer
	argLimit     int
	snippetLimit int
	failClosed   func(context.Context) error
}

func newConfig(base *config, opts []Option) config {
	var c config
	if base != nil {
		c = *base
	} else {
		c = config{argLimit: DefaultArgLimit, snippetLimit: DefaultSnippetLimit}
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithTracerProvider sets the tracer provider of the tool spans. By default
// the global provider (otel.GetTracerProvider) is used; one installed
// after the middleware was built is still picked up. A nil provider is
// ignored.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	})
}

// OverrideUser attributes every call to user, whatever the context says.
func OverrideUser(user string) Option {
	return optionFunc(func(c *config) { c.user = &user })
}

// OverrideRun tags every call with engine and model, whatever the context
// says.
func OverrideRun(engine, model string) Option {
	return optionFunc(func(c *config) { c.run = &run{engine, model} })
}

// WithAuthorizer sets the function that decides, before the tool runs,
// whether a call may run. A nil authorizer is ignored.
func WithAuthorizer(a Authorizer) Option {
	return optionFunc(func(c *config) {
		if a != nil {
			c.authorizer = a
		}
	})
}

// WithArgLimit sets the length in code points above which a string argument
// value is truncated (default DefaultArgLimit). n < 1 is ignored.
func WithArgLimit(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.argLimit = n
		}
	})
}

// WithSnippetLimit sets the length in code points of the result snippet
// (default DefaultSnippetLimit). n < 0 is ignored; 0 records no snippet.
func WithSnippetLimit(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 0 {
			c.snippetLimit = n
		}
	})
}

// WithFailClosed makes calls fail closed, as Vault does with its audit
// devices: before each call, check is asked whether the audit sink can
// write (exporter.Exporter.Check is such a check); when it returns an
// error, the tool is not run, the call is recorded as denied (the line
// waits in the sink's spill), and the caller gets an error wrapping
// ErrDenied and ErrAuditUnavailable. By default calls fail open, as the
// reference module does: a tool runs whatever happens to its audit line.
// A nil check is ignored.
func WithFailClosed(check func(context.Context) error) Option {
	return optionFunc(func(c *config) {
		if check != nil {
			c.failClosed = check
		}
	})
}

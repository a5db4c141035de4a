package toolaudit

import (
	"context"
	"slices"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolaudit/toolaudit/internal/redact"
)

// Default truncation limits, the reference module's.
const (
	// defaultArgLimit is the length, in Unicode code points, above which a
	// string argument value is truncated.
	defaultArgLimit = 500
	// defaultSnippetLimit is the length, in code points, of the result
	// snippet.
	defaultSnippetLimit = 300
)

// Call describes a tool call to an Authorizer.
type Call struct {
	Tool   string // the tool's name
	User   string // the user, from the context or WithUser
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
	mp           metric.MeterProvider
	metricUser   bool
	metricRun    bool
	metricOpts   int // metric options applied: per-call ones that add none keep the middleware's instruments
	user         *string
	run          *run
	authorizer   Authorizer
	argLimit     int
	snippetLimit int
	failClosed   func(context.Context) error
	redactKeys   []string
	hmacKey      []byte
	redactResult func(tool, text string) string
}

func newConfig(base *config, opts []Option) config {
	var c config
	if base != nil {
		c = *base
	} else {
		c = config{argLimit: defaultArgLimit, snippetLimit: defaultSnippetLimit, redactKeys: redact.DefaultKeys}
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

// WithUser attributes every call to user, whatever the context says
// (ContextWithUser).
func WithUser(user string) Option {
	return optionFunc(func(c *config) { c.user = &user })
}

// WithRun tags every call with engine and model, whatever the context
// says (ContextWithRun).
func WithRun(engine, model string) Option {
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
// value is truncated (default 500, the reference's). n < 1 is ignored.
func WithArgLimit(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.argLimit = n
		}
	})
}

// WithSnippetLimit sets the length in code points of the result snippet
// (default 300, the reference's). n < 0 is ignored; 0 records no snippet.
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

// WithRedactKeys replaces the patterns of argument keys whose values are
// recorded as "[REDACTED]" (default: password, passwd,
// secret, token, api_key, apikey, authorization, cookie, private_key). A
// key matches a pattern when the pattern's words appear together among the
// key's words, case-insensitively, at any depth of the arguments; words are
// split at '_', '-', '.', spaces and camelCase, so "api_key" matches
// "apiKey", "X-Api-Key" and "openai_api_key", and "token" matches
// "access_token" but not "max_tokens". No patterns turns redaction off. The
// tool itself always receives the real values.
func WithRedactKeys(patterns ...string) Option {
	return optionFunc(func(c *config) { c.redactKeys = slices.Clone(patterns) })
}

// WithRedactHMAC records a redacted value as "hmac-sha256:" and the hex
// HMAC-SHA256 of the value under key (of the string itself for a string,
// of its JSON otherwise), as Vault's audit devices do: equal secrets can be
// correlated without being stored. An empty key means "[REDACTED]".
func WithRedactHMAC(key []byte) Option {
	return optionFunc(func(c *config) { c.hmacKey = slices.Clone(key) })
}

// WithResultRedactor passes every result text (the tool's output or error
// message) through redact before anything is recorded: result_chars and
// the snippet are those of what it returns. The caller still gets the real
// result. A nil function is ignored.
func WithResultRedactor(redact func(tool, text string) string) Option {
	return optionFunc(func(c *config) {
		if redact != nil {
			c.redactResult = redact
		}
	})
}

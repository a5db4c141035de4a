package otelx

import (
	"io"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Option configures NewTracerProvider.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	sampler    sdktrace.Sampler
	resource   *resource.Resource
	forwarders []forwarder
	capture    *bool
	maxQueue   int
	wait       bool
	extra      []sdktrace.TracerProviderOption
	err        error
}

// forwarder is an exporter for a tracing backend, wrapped in its span
// processor once the content policy is known.
// newConfig applies opts over the defaults; nil options are ignored.
func newConfig(opts []Option) config {
	c := config{sampler: sdktrace.ParentBased(sdktrace.AlwaysSample()), maxQueue: defaultMaxQueue}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

type forwarder struct {
	exp   sdktrace.SpanExporter
	sync  bool
	batch []sdktrace.BatchSpanProcessorOption
}

// WithContentCapture says whether spans forwarded to backends keep the
// content attributes gen_ai.tool.call.arguments and
// gen_ai.tool.call.result. By default they do only when the environment
// variable OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is "true", as
// the GenAI conventions say. The audit always has them.
func WithContentCapture(on bool) Option {
	return optionFunc(func(c *config) { c.capture = &on })
}

// WithSampler sets the sampler that decides what reaches the forwarders. It
// is wrapped with AuditSampler, so the audit still sees every tool span. The
// default is ParentBased(AlwaysSample()). A nil sampler is ignored.
func WithSampler(s sdktrace.Sampler) Option {
	return optionFunc(func(c *config) {
		if s != nil {
			c.sampler = s
		}
	})
}

// WithResource sets the resource of the provider. A nil resource is ignored.
func WithResource(r *resource.Resource) Option {
	return optionFunc(func(c *config) {
		if r != nil {
			c.resource = r
		}
	})
}

// WithForwarder forwards sampled spans (all of them, not only tool spans) to
// exp through a batch span processor, as for any tracing backend. It may be
// given any number of times. A nil exporter is ignored.
func WithForwarder(exp sdktrace.SpanExporter, opts ...sdktrace.BatchSpanProcessorOption) Option {
	return optionFunc(func(c *config) {
		if exp != nil {
			c.forwarders = append(c.forwarders, forwarder{exp: exp, batch: opts})
		}
	})
}

// WithStdout forwards sampled spans to w as pretty-printed JSON, for local
// debugging. A nil writer is ignored.
func WithStdout(w io.Writer) Option {
	return optionFunc(func(c *config) {
		if w == nil {
			return
		}
		exp, err := stdouttrace.New(stdouttrace.WithWriter(w), stdouttrace.WithPrettyPrint())
		if err != nil {
			c.err = err
			return
		}
		c.forwarders = append(c.forwarders, forwarder{exp: exp, sync: true})
	})
}

// WithMaxQueue bounds the tool spans the audit processor holds before
// ending a span blocks (default 8192). n < 1 is ignored.
func WithMaxQueue(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.maxQueue = n
		}
	})
}

// WithWaitForExport makes ending a tool span wait until the audit exporter
// has taken it (ExportSpans returned): a wrapped tool returns after its line
// is written, so no crash, even SIGKILL, loses it. Calls ending meanwhile
// share one write; if the exporter blocks, so do they. A failed write waits
// in the exporter's spill, as without this option.
func WithWaitForExport() Option {
	return optionFunc(func(c *config) { c.wait = true })
}

// WithTracerProviderOptions passes further options to sdktrace.NewTracerProvider.
// They are applied after the ones otelx sets, so a sampler given here
// replaces the audit sampler (prefer WithSampler), and span limits given
// here (sdktrace.WithRawSpanLimits) apply to the audit too (prefer the
// OTEL_SPAN_* environment variables, which NewTracerProvider applies to
// forwarders only).
func WithTracerProviderOptions(opts ...sdktrace.TracerProviderOption) Option {
	return optionFunc(func(c *config) { c.extra = append(c.extra, opts...) })
}

// NewTracerProvider returns a tracer provider wired for auditing (see the
// package doc): every tool span goes to audit (nil for none), sampled spans
// to the forwarders, with span limits from the environment applied to the
// forwarders only. Shutdown flushes the audit first, then the forwarders.
// The only error is from building an option's exporter.
func NewTracerProvider(audit sdktrace.SpanExporter, opts ...Option) (*sdktrace.TracerProvider, error) {
	c := newConfig(opts)
	if c.err != nil {
		return nil, c.err
	}
	env := sdktrace.NewSpanLimits()
	rec := recordingLimits(env)
	var lim *limiter
	if rec != env {
		lim = newLimiter(env)
	}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(AuditSampler(c.sampler)), sdktrace.WithRawSpanLimits(rec)}
	if c.resource != nil {
		tpOpts = append(tpOpts, sdktrace.WithResource(c.resource))
	}
	if audit != nil {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(NewAuditProcessor(audit, opts...)))
	}
	capture := captureFromEnv()
	if c.capture != nil {
		capture = *c.capture
	}
	for _, f := range c.forwarders {
		limit := -1 // content dropped
		if capture {
			limit = maxForwardedContent
		}
		exp := contentFilter{SpanExporter: f.exp, limit: limit, lim: lim}
		if f.sync {
			tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exp)))
		} else {
			tpOpts = append(tpOpts, sdktrace.WithBatcher(exp, f.batch...))
		}
	}
	tpOpts = append(tpOpts, c.extra...)
	return sdktrace.NewTracerProvider(tpOpts...), nil
}

package toolaudit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/toolaudit/toolaudit/record"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolaudit/toolaudit/internal/jsonw"
	"github.com/toolaudit/toolaudit/internal/redact"
)

// Tool is the untyped shape of a tool: JSON-like arguments in, text out.
type Tool func(ctx context.Context, args map[string]any) (string, error)

// Middleware wraps tools so that every call is audited: each call becomes
// one OpenTelemetry span named "execute_tool {tool}" (see package otelx for
// its attributes), which the otelx tracer provider hands to the audit
// exporter. A Middleware holds options shared by the tools it wraps; it is
// immutable and safe for concurrent use, and so are the tools it returns.
type Middleware struct {
	cfg config

	// For Invoke: the bindings of the names seen, at most maxCachedNames,
	// each a copy of shared with its name.
	once     sync.Once
	shared   *binding
	other    *toolMetrics // the metrics of names past maxCachedNames
	bindings sync.Map     // name -> *binding
	cached   atomic.Int32

	// Set once a call's span was not recording, and so reported.
	unrecorded atomic.Bool
}

// New returns a Middleware with the given options.
func New(opts ...Option) *Middleware {
	return &Middleware{cfg: newConfig(nil, opts)}
}

// Wrap returns fn audited under name, with the middleware's options and
// then opts. The returned Tool behaves as fn does (same results, same
// errors, same panics) except when an authorizer refuses the call.
func (m *Middleware) Wrap(name string, fn Tool, opts ...Option) Tool {
	b := m.bind(name, opts, nil)
	return func(ctx context.Context, args map[string]any) (string, error) {
		return invoke(ctx, b, args, func(buf []byte) []byte {
			return b.args.appendValue(buf, args, 0)
		}, func(ctx context.Context) (string, error) {
			return fn(ctx, args)
		}, identity, nil)
	}
}

// Wrap is New(opts...).Wrap(name, fn).
func Wrap(name string, fn Tool, opts ...Option) Tool {
	return New(opts...).Wrap(name, fn)
}

// WrapFunc returns a typed tool audited under name. The input is recorded
// as the JSON object encoding/json makes of it (a value that is not an
// object is recorded as {"input": value}); the result text is the output
// itself for a string, []byte or fmt.Stringer, else its JSON encoding. m
// may be nil, meaning New().
func WrapFunc[In, Out any](m *Middleware, name string, fn func(context.Context, In) (Out, error), opts ...Option) func(context.Context, In) (Out, error) {
	if m == nil {
		m = New()
	}
	b := m.bind(name, opts, nil)
	return func(ctx context.Context, in In) (Out, error) {
		return invoke(ctx, b, in, func(buf []byte) []byte {
			return b.args.appendArgsAny(buf, in)
		}, func(ctx context.Context) (Out, error) {
			return fn(ctx, in)
		}, renderResult[Out], nil)
	}
}

// binding is one wrapped tool: its name, options and tracer.
type binding struct {
	name     string
	spanName string
	cfg      config
	tracer   trace.Tracer
	args     argEncoder
	// reuseAttrs is set when the tracer is the SDK's, which copies the
	// attributes it is given: their slice can then serve the next call.
	reuseAttrs bool
	// unrecorded is the middleware's flag: a call not audited was reported.
	unrecorded *atomic.Bool
	metrics    *toolMetrics
}

// bind makes the binding of name with the middleware's options and then
// opts. Its metrics are tm when opts leave the metric options as they are
// (a per-call option of Invoke must not build instruments on every call),
// else made for it.
func (m *Middleware) bind(name string, opts []Option, tm *toolMetrics) *binding {
	cfg := newConfig(&m.cfg, opts)
	if tm == nil || cfg.metricOpts != m.cfg.metricOpts {
		tm = newInstruments(&cfg).forTool(name)
	}
	tp := cfg.tp
	if tp == nil {
		// The global provider delegates to one installed later.
		tp = otel.GetTracerProvider()
	}
	_, sdk := tp.(*sdktrace.TracerProvider)
	return &binding{
		name:       name,
		spanName:   spanattr.SpanNamePrefix + name,
		cfg:        cfg,
		tracer:     tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version)),
		args:       argEncoder{limit: cfg.argLimit, red: redact.New(cfg.redactKeys, cfg.hmacKey)},
		reuseAttrs: sdk,
		unrecorded: &m.unrecorded,
		metrics:    tm,
	}
}

// reportUnrecorded reports, once per Middleware, a call whose span is not
// recording: nothing audits it.
func (b *binding) reportUnrecorded() {
	if b.unrecorded.CompareAndSwap(false, true) {
		otel.Handle(fmt.Errorf("toolaudit: a call of tool %q is not audited: its span is not recording, because no tracer provider was given (WithTracerProvider) and none is set globally, or a sampler dropped the span (wrap it in otelx.AuditSampler); later such calls of this middleware are not reported", b.name))
	}
}

// maxDescription is the longest error message, in code points, a failed
// call's span status carries; a longer one is cut and ends with "…". The
// message can come from anywhere (a tool, a client, a model), and tracing
// backends refuse oversized batches whole.
const maxDescription = 1024

// named returns a copy of b for the tool name, recording its metrics with
// tm (nil: its own).
func (b *binding) named(name string, tm *toolMetrics) *binding {
	c := *b
	c.name, c.spanName = name, spanattr.SpanNamePrefix+name
	c.metrics = tm
	if tm == nil {
		c.metrics = b.metrics.in.forTool(name)
	}
	return &c
}

var (
	bufPool   = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
	attrsPool = sync.Pool{New: func() any { a := make([]attribute.KeyValue, 0, maxAttrs); return &a }}
)

// internalKind is made once: as an interface value it would be allocated on
// every call.
var internalKind = trace.WithSpanKind(trace.SpanKindInternal)

// maxAttrs is the most attributes the middleware passes in one call: six at
// the start, five with the outcome.
const maxAttrs = 6

// attrSlice returns an empty slice for up to maxAttrs attributes, and the
// pooled value to give back with putAttrs once the tracer has copied them.
func (b *binding) attrSlice() ([]attribute.KeyValue, *[]attribute.KeyValue) {
	if !b.reuseAttrs {
		return make([]attribute.KeyValue, 0, maxAttrs), nil
	}
	pooled := attrsPool.Get().(*[]attribute.KeyValue)
	return (*pooled)[:0], pooled
}

func putAttrs(attrs []attribute.KeyValue, pooled *[]attribute.KeyValue) {
	if pooled != nil {
		clear(attrs) // let the texts go
		*pooled = attrs[:0]
		attrsPool.Put(pooled)
	}
}

func identity(s string) string { return s }

// invoke runs one audited call: span start, authorization, the tool, the
// span's outcome attributes and end. A panic in the tool is recorded and
// re-raised.
func invoke[Out any](ctx context.Context, b *binding, args any, encode func([]byte) []byte, run func(context.Context) (Out, error), render func(Out) string, failed func(Out) bool) (out Out, err error) {
	user := UserFromContext(ctx)
	if b.cfg.user != nil {
		user = *b.cfg.user
	}
	engine, model := RunFromContext(ctx)
	if b.cfg.run != nil {
		engine, model = b.cfg.run.engine, b.cfg.run.model
	}
	callID := CallIDFromContext(ctx)
	start := time.Now()

	// The arguments are encoded now, before the tool can change them, and
	// set with the outcome: the span's attributes then grow once, from six
	// to ten, and the start attributes are copied fewer times.
	bp := bufPool.Get().(*[]byte)
	buf := encode((*bp)[:0])
	argsText := string(buf)
	if cap(buf) <= 64<<10 {
		*bp = buf
		bufPool.Put(bp)
	}
	attrs, pooled := b.attrSlice()
	attrs = append(attrs,
		spanattr.KeyOperationName.String(spanattr.OperationExecuteTool),
		spanattr.KeyToolName.String(b.name),
	)
	if callID != "" {
		attrs = append(attrs, spanattr.KeyToolCallID.String(callID))
	}
	if engine != "" {
		attrs = append(attrs, spanattr.KeyProviderName.String(engine))
	}
	if model != "" {
		attrs = append(attrs, spanattr.KeyRequestModel.String(model))
	}
	if user != "" {
		attrs = append(attrs, spanattr.KeyEndUserID.String(user))
	}
	ctx, span := b.tracer.Start(ctx, b.spanName, internalKind, trace.WithAttributes(attrs...))
	putAttrs(attrs, pooled)
	c := &call{ctx: ctx, start: start, user: user, engine: engine, model: model}
	recording := span.IsRecording()
	if !recording {
		b.reportUnrecorded()
	}

	if b.cfg.failClosed != nil || b.cfg.authorizer != nil {
		if derr := b.admit(ctx, Call{Tool: b.name, User: user, Engine: engine, Model: model, CallID: callID, Args: args}); derr != nil {
			b.finish(c, span, recording, argsText, record.StatusDenied, derr.Error(), "denied")
			return out, fmt.Errorf("toolaudit: tool %q: %w", b.name, derr)
		}
	}

	panicking := true
	defer func() {
		if !panicking {
			return
		}
		r := recover()
		if r == nil {
			// runtime.Goexit, as t.FailNow in a test does: nothing to re-raise.
			b.finish(c, span, recording, argsText, record.StatusError, "tool exited its goroutine (runtime.Goexit)", "goexit")
			return
		}
		b.finish(c, span, recording, argsText, record.StatusError, fmt.Sprintf("panic: %v", r), "panic")
		panic(r)
	}()
	out, err = run(ctx)
	panicking = false

	status := statusOf(err)
	if err != nil {
		errType := "denied"
		if status == record.StatusError {
			errType = fmt.Sprintf("%T", err)
		}
		b.finish(c, span, recording, argsText, status, err.Error(), errType)
	} else if failed != nil && failed(out) {
		b.finish(c, span, recording, argsText, record.StatusError, render(out), "tool_error")
	} else {
		text := ""
		if recording {
			text = render(out)
		}
		b.finish(c, span, recording, argsText, record.StatusOK, text, "")
	}
	return out, err
}

// admit returns nil when the call may run, else why not, wrapping ErrDenied.
func (b *binding) admit(ctx context.Context, call Call) error {
	if check := b.cfg.failClosed; check != nil {
		if err := check(ctx); err != nil {
			return fmt.Errorf("%w: %w: %w", ErrDenied, ErrAuditUnavailable, err)
		}
	}
	if a := b.cfg.authorizer; a != nil {
		if err := a(ctx, call); err != nil {
			if !errors.Is(err, ErrDenied) {
				err = fmt.Errorf("%w: %w", ErrDenied, err)
			}
			return err
		}
	}
	return nil
}

// finish records the duration of a call in its metrics, and its arguments
// and outcome on its span, in one attribute call, and ends it.
func (b *binding) finish(c *call, span trace.Span, recording bool, args string, status record.Status, text, errType string) {
	b.metrics.record(c, status, errType)
	if recording {
		if b.cfg.redactResult != nil {
			text = b.cfg.redactResult(b.name, text)
		}
		snippet, _ := jsonw.Prefix(text, b.cfg.snippetLimit)
		attrs, pooled := b.attrSlice()
		attrs = append(attrs,
			spanattr.KeyToolCallArguments.String(args),
			spanattr.KeyStatus.String(string(status)),
			spanattr.KeyResultChars.Int(utf8.RuneCountInString(text)),
			spanattr.KeyToolCallResult.String(snippet),
		)
		if status != record.StatusOK {
			attrs = append(attrs, spanattr.KeyErrorType.String(errType))
			span.SetStatus(codes.Error, jsonw.Cut(text, maxDescription))
		}
		span.SetAttributes(attrs...)
		putAttrs(attrs, pooled)
	}
	span.End()
}

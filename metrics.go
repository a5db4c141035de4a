package toolaudit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/toolaudit/toolaudit/internal/spanattr"
	"github.com/toolaudit/toolaudit/record"
)

// The tool metric of the GenAI semantic conventions (see docs/metrics.md).
const (
	durationName = "gen_ai.execute_tool.duration"
	durationDesc = "The duration of a single tool execution."
)

// durationBounds are the bucket boundaries, in seconds, the conventions
// advise for gen_ai.execute_tool.duration.
var durationBounds = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}

// otherValue is the conventions' value for a name past a bound: a tool
// name past the names Invoke remembers, an error type past maxErrorTypes.
const otherValue = "_OTHER"

// maxErrorTypes bounds the error.type values recorded per tool name.
const maxErrorTypes = 32

// WithMeterProvider sets the meter provider of the tool metrics
// (gen_ai.execute_tool.duration, see docs/metrics.md). By default the
// global provider (otel.GetMeterProvider) is used; one installed after the
// middleware was built is still picked up. A nil provider is ignored.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.mp = mp
			c.metricOpts++
		}
	})
}

// WithMetricUser adds the user (enduser.id) to the tool metrics: a series
// per user and tool. Off by default: users are unbounded, and each
// measurement then allocates its attribute set.
func WithMetricUser() Option {
	return optionFunc(func(c *config) { c.metricUser = true; c.metricOpts++ })
}

// WithMetricRun adds the engine and model of the run
// (gen_ai.provider.name, gen_ai.request.model) to the tool metrics. Off by
// default, as in the conventions; each measurement then allocates its
// attribute set.
func WithMetricRun() Option {
	return optionFunc(func(c *config) { c.metricRun = true; c.metricOpts++ })
}

// instruments is the tool metric of one configuration.
type instruments struct {
	duration  metric.Float64Histogram
	user, run bool
}

func newInstruments(c *config) *instruments {
	mp := c.mp
	if mp == nil {
		// The global provider delegates to one installed later.
		mp = otel.GetMeterProvider()
	}
	h, err := mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version)).Float64Histogram(durationName,
		metric.WithUnit("s"), metric.WithDescription(durationDesc), metric.WithExplicitBucketBoundaries(durationBounds...))
	if err != nil {
		otel.Handle(err) // h is still usable: it records nothing or what it can
	}
	return &instruments{duration: h, user: c.metricUser, run: c.metricRun}
}

// toolMetrics records the calls of one tool name. Its record options are
// made once per outcome: metric.WithAttributeSet and the variadic slice
// would otherwise allocate on every call.
type toolMetrics struct {
	in         *instruments
	name       string
	ok, denied []metric.RecordOption
	errs       sync.Map // error type -> []metric.RecordOption
	nerrs      atomic.Int32
}

func (in *instruments) forTool(name string) *toolMetrics {
	t := &toolMetrics{in: in, name: name}
	t.ok = t.options(record.StatusOK, "")
	t.denied = t.options(record.StatusDenied, "")
	return t
}

func (t *toolMetrics) options(status record.Status, errType string) []metric.RecordOption {
	return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(t.attrs(status, errType)...))}
}

// attrs are the attributes of a call's measurement, without the user and run.
func (t *toolMetrics) attrs(status record.Status, errType string) []attribute.KeyValue {
	kv := []attribute.KeyValue{spanattr.KeyToolName.String(t.name), spanattr.KeyStatus.String(string(status))}
	if status == record.StatusError {
		kv = append(kv, spanattr.KeyErrorType.String(errType))
	}
	return kv
}

// errOptions returns the options for a failed call with errType, made once
// for the first maxErrorTypes types; later types are recorded as _OTHER.
func (t *toolMetrics) errOptions(errType string) []metric.RecordOption {
	if o, ok := t.errs.Load(errType); ok {
		return o.([]metric.RecordOption)
	}
	if t.nerrs.Load() >= maxErrorTypes {
		errType = otherValue
		if o, ok := t.errs.Load(errType); ok {
			return o.([]metric.RecordOption)
		}
	}
	o, loaded := t.errs.LoadOrStore(errType, t.options(record.StatusError, errType))
	if !loaded {
		t.nerrs.Add(1)
	}
	return o.([]metric.RecordOption)
}

// call is what a call's measurement needs besides its outcome.
type call struct {
	ctx                 context.Context
	start               time.Time
	user, engine, model string
}

// record records the duration of a call ended with status (and errType for
// an error).
func (t *toolMetrics) record(c *call, status record.Status, errType string) {
	secs := time.Since(c.start).Seconds()
	if t.in.user || t.in.run {
		// Per-call values: the set is made for this call.
		kv := t.attrs(status, errType)
		if t.in.user && c.user != "" {
			kv = append(kv, spanattr.KeyEndUserID.String(c.user))
		}
		if t.in.run && c.engine != "" {
			kv = append(kv, spanattr.KeyProviderName.String(c.engine))
		}
		if t.in.run && c.model != "" {
			kv = append(kv, spanattr.KeyRequestModel.String(c.model))
		}
		t.in.duration.Record(c.ctx, secs, metric.WithAttributes(kv...))
		return
	}
	switch status {
	case record.StatusOK:
		t.in.duration.Record(c.ctx, secs, t.ok...)
	case record.StatusDenied:
		t.in.duration.Record(c.ctx, secs, t.denied...)
	default:
		t.in.duration.Record(c.ctx, secs, t.errOptions(errType)...)
	}
}

package otelx

import (
	"github.com/toolaudit/toolaudit/internal/spanattr"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// AuditSampler wraps base so that a tool span base would drop is recorded
// but not sampled (sdktrace.RecordOnly) instead. The span then reaches the
// AuditProcessor, which writes every recorded tool span, while the batch
// processors of forwarders, which only take sampled spans, still see base's
// share. Decisions for other spans, and tool spans base keeps, are base's.
//
// A tool span is recognised by the gen_ai.operation.name attribute given at
// span start, as the toolaudit middleware does.
func AuditSampler(base sdktrace.Sampler) sdktrace.Sampler {
	if base == nil {
		base = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	return auditSampler{base: base}
}

type auditSampler struct{ base sdktrace.Sampler }

var _ sdktrace.Sampler = auditSampler{}

func (s auditSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	r := s.base.ShouldSample(p)
	if r.Decision == sdktrace.Drop && spanattr.IsToolSpan(p.Attributes) {
		r.Decision = sdktrace.RecordOnly
	}
	return r
}

func (s auditSampler) Description() string {
	return "AuditSampler{" + s.base.Description() + "}"
}

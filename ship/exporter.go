package ship

import (
	"context"
	"errors"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// WithExporter returns exp shipped by s, to hand to the tracer provider in
// place of exp: ForceFlush writes exp's lines and then ships them (Sync),
// and Shutdown shuts exp down and then closes s, which ships what is left.
// Spans go to exp alone; no call waits on the store.
func WithExporter(exp sdktrace.SpanExporter, s *Shipper) sdktrace.SpanExporter {
	return &shippedExporter{SpanExporter: exp, s: s}
}

type shippedExporter struct {
	sdktrace.SpanExporter
	s *Shipper
}

var _ sdktrace.SpanExporter = (*shippedExporter)(nil)

func (e *shippedExporter) ForceFlush(ctx context.Context) error {
	var err error
	if f, ok := e.SpanExporter.(interface{ ForceFlush(context.Context) error }); ok {
		err = f.ForceFlush(ctx)
	}
	return errors.Join(err, e.s.Sync(ctx))
}

func (e *shippedExporter) Shutdown(ctx context.Context) error {
	return errors.Join(e.SpanExporter.Shutdown(ctx), e.s.Close(ctx))
}

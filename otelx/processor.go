package otelx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// defaultMaxQueue is the number of ended tool spans the audit processor
// holds before OnEnd blocks (WithMaxQueue).
const defaultMaxQueue = 8192

// maxBatch is the largest batch the audit processor hands its exporter.
const maxBatch = 2048

// linger is how long the exporting goroutine waits for a small batch to
// grow before exporting it, unless a flush or shutdown is waiting.
const linger = time.Millisecond

// ErrProcessorShutdown is reported (through the OpenTelemetry error handler)
// for a tool span that ends after the processor was shut down.
var ErrProcessorShutdown = errors.New("toolaudit: audit processor is shut down")

// auditProcessor is the span processor of NewauditProcessor. All methods
// are safe for concurrent use.
type auditProcessor struct {
	exp      sdktrace.SpanExporter
	maxQueue int
	maxBatch int

	mu       sync.Mutex
	cond     *sync.Cond // signalled on every change below
	queue    []sdktrace.ReadOnlySpan
	spare    []sdktrace.ReadOnlySpan
	enqueued uint64
	exported uint64
	flushing int  // ForceFlush calls waiting
	waiting  int  // OnEnd calls waiting for their export (WithWaitForExport)
	wait     bool // WithWaitForExport
	stopping bool
	done     chan struct{}
}

var _ sdktrace.SpanProcessor = (*auditProcessor)(nil)

// NewAuditProcessor returns a span processor that hands every ended tool
// span to exp, sampled or not, and never drops one: with its queue full
// (WithMaxQueue), ending a span blocks. ForceFlush and Shutdown return once
// every span ended before them is exported, calling exp's ForceFlush or
// Shutdown. Export errors go to otel.Handle. Only WithMaxQueue and
// WithWaitForExport apply.
func NewAuditProcessor(exp sdktrace.SpanExporter, opts ...Option) sdktrace.SpanProcessor {
	c := newConfig(opts)
	p := &auditProcessor{
		exp:      exp,
		maxQueue: c.maxQueue,
		maxBatch: min(maxBatch, c.maxQueue),
		wait:     c.wait,
		done:     make(chan struct{}),
	}
	p.cond = sync.NewCond(&p.mu)
	go p.run()
	return p
}

// OnStart does nothing.
func (p *auditProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues s for export if it is a tool span, blocking while the queue
// is full, and with WithWaitForExport until s is exported.
func (p *auditProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !spanattr.IsToolSpan(s.Attributes()) {
		return
	}
	p.mu.Lock()
	for len(p.queue) >= p.maxQueue && !p.stopping {
		p.cond.Wait()
	}
	if p.stopping {
		p.mu.Unlock()
		otel.Handle(fmt.Errorf("%w: span %s of %q not written", ErrProcessorShutdown, s.SpanContext().SpanID(), s.Name()))
		return
	}
	p.queue = append(p.queue, s)
	p.enqueued++
	p.cond.Broadcast()
	if p.wait {
		seq := p.enqueued
		p.waiting++
		for p.exported < seq {
			p.cond.Wait()
		}
		p.waiting--
	}
	p.mu.Unlock()
}

func (p *auditProcessor) run() {
	defer close(p.done)
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.stopping {
			p.cond.Wait()
		}
		if len(p.queue) == 0 {
			p.mu.Unlock()
			return
		}
		if len(p.queue) < p.maxBatch/4 && !p.stopping && p.flushing == 0 && p.waiting == 0 {
			// Linger a moment so a burst becomes one write, not one per
			// call: fewer wake-ups for the callers and the disk.
			p.mu.Unlock()
			time.Sleep(linger)
			p.mu.Lock()
		}
		batch := p.queue
		p.queue, p.spare = p.spare[:0], nil
		p.cond.Broadcast() // room in the queue again
		p.mu.Unlock()

		for start := 0; start < len(batch); start += p.maxBatch {
			chunk := batch[start:min(start+p.maxBatch, len(batch))]
			if err := p.exp.ExportSpans(context.Background(), chunk); err != nil {
				otel.Handle(err)
			}
		}
		clear(batch)

		p.mu.Lock()
		p.exported += uint64(len(batch))
		p.spare = batch[:0]
		p.cond.Broadcast()
		p.mu.Unlock()
	}
}

// flusher is implemented by exporters that hold work of their own, such
// as the JSONL exporter's retry spill and fsync.
type flusher interface {
	ForceFlush(ctx context.Context) error
}

// ForceFlush waits until every tool span that ended before the call has been
// exported, or ctx is done, then flushes the exporter if it is a Flusher.
func (p *auditProcessor) ForceFlush(ctx context.Context) error {
	p.mu.Lock()
	target := p.enqueued
	p.mu.Unlock()
	if err := p.waitExported(ctx, target); err != nil {
		return err
	}
	if f, ok := p.exp.(flusher); ok {
		return f.ForceFlush(ctx)
	}
	return nil
}

func (p *auditProcessor) waitExported(ctx context.Context, target uint64) error {
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushing++
	defer func() { p.flushing-- }()
	p.cond.Broadcast()
	for p.exported < target {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("toolaudit: flushing audit spans: %d of %d still queued: %w", target-p.exported, target, err)
		}
		p.cond.Wait()
	}
	return nil
}

// Shutdown exports every queued span, stops the processor and shuts the
// exporter down. Tool spans that end afterwards are reported, not written.
func (p *auditProcessor) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	already := p.stopping
	p.stopping = true
	p.cond.Broadcast()
	p.mu.Unlock()
	if already {
		return nil
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return fmt.Errorf("toolaudit: shutting down audit processor: %w", ctx.Err())
	}
	return p.exp.Shutdown(ctx)
}

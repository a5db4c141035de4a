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

// DefaultMaxQueue is the number of ended tool spans an AuditProcessor holds
// before OnEnd blocks.
const DefaultMaxQueue = 8192

// DefaultMaxBatch is the largest batch an AuditProcessor hands its exporter.
const DefaultMaxBatch = 2048

// linger is how long the exporting goroutine waits for a small batch to
// grow before exporting it, unless a flush or shutdown is waiting.
const linger = time.Millisecond

// ErrProcessorShutdown is reported (through the OpenTelemetry error handler)
// for a tool span that ends after the processor was shut down.
var ErrProcessorShutdown = errors.New("toolaudit: audit processor is shut down")

// AuditProcessor is an sdktrace.SpanProcessor that hands every ended tool
// span to an exporter, sampled or not, and never drops one.
//
// Unlike the SDK's batch processor it does not skip spans that are recorded
// but not sampled (see AuditSampler) and it does not drop spans when its
// queue is full: OnEnd blocks until the exporter has caught up
// (back-pressure). A background goroutine exports what is queued in batches
// of at most DefaultMaxBatch spans; when a batch is small it waits 1 ms for
// it to grow (not while a flush or shutdown waits), so a burst becomes few
// large writes and a quiet agent's call is written within a millisecond.
//
// ForceFlush returns once every span that ended before it was called has
// been exported; Shutdown does the same, then shuts the exporter down. With
// WaitForExport, each OnEnd waits so for its own span.
// Export errors go to the OpenTelemetry error handler (otel.Handle); the
// exporter is expected to keep and retry what it could not write. Spans that
// are not tool spans are ignored. All methods are safe for concurrent use.
type AuditProcessor struct {
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
	waiting  int  // OnEnd calls waiting for their export (WaitForExport)
	wait     bool // WaitForExport
	stopping bool
	done     chan struct{}
}

// ProcessorOption configures an AuditProcessor.
type ProcessorOption interface{ applyProcessor(*AuditProcessor) }

type processorOptionFunc func(*AuditProcessor)

func (f processorOptionFunc) applyProcessor(p *AuditProcessor) { f(p) }

// WaitForExport makes OnEnd return only once the exporter has taken its
// span (ExportSpans returned), so that a wrapped tool returns to its caller
// after its audit line is written (and on disk, with the JSONL exporter's
// FsyncBatch): a process that dies afterwards, even by SIGKILL, cannot lose
// it. If the write failed, the line waits in the exporter's spill, as
// without this option; pair it with fail-closed auditing to stop calls
// then. Without it, the spans ended in about the last millisecond (more
// under back-pressure) are still in memory, and a process that dies without
// Shutdown loses them.
//
// The exporting goroutine then exports as soon as a span waits, without
// lingering: each call waits for one write (and fsync), shared by the calls
// that end meanwhile. If the exporter blocks, so do the calls.
func WaitForExport() ProcessorOption {
	return processorOptionFunc(func(p *AuditProcessor) { p.wait = true })
}

var _ sdktrace.SpanProcessor = (*AuditProcessor)(nil)

// NewAuditProcessor returns a running AuditProcessor exporting to exp.
// maxQueue bounds the spans waiting for export (0 means DefaultMaxQueue).
func NewAuditProcessor(exp sdktrace.SpanExporter, maxQueue int, opts ...ProcessorOption) *AuditProcessor {
	if maxQueue <= 0 {
		maxQueue = DefaultMaxQueue
	}
	p := &AuditProcessor{
		exp:      exp,
		maxQueue: maxQueue,
		maxBatch: min(DefaultMaxBatch, maxQueue),
		done:     make(chan struct{}),
	}
	for _, o := range opts {
		if o != nil {
			o.applyProcessor(p)
		}
	}
	p.cond = sync.NewCond(&p.mu)
	go p.run()
	return p
}

// OnStart does nothing.
func (p *AuditProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues s for export if it is a tool span, blocking while the queue
// is full, and with WaitForExport until s is exported.
func (p *AuditProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
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

func (p *AuditProcessor) run() {
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

// Flusher is implemented by exporters that hold work of their own, such
// as the JSONL exporter's retry spill and fsync.
type Flusher interface {
	ForceFlush(ctx context.Context) error
}

// ForceFlush waits until every tool span that ended before the call has been
// exported, or ctx is done, then flushes the exporter if it is a Flusher.
func (p *AuditProcessor) ForceFlush(ctx context.Context) error {
	p.mu.Lock()
	target := p.enqueued
	p.mu.Unlock()
	if err := p.waitExported(ctx, target); err != nil {
		return err
	}
	if f, ok := p.exp.(Flusher); ok {
		return f.ForceFlush(ctx)
	}
	return nil
}

func (p *AuditProcessor) waitExported(ctx context.Context, target uint64) error {
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
func (p *AuditProcessor) Shutdown(ctx context.Context) error {
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

// Package exporter writes audited tool calls as JSON lines, one file per
// user per day:
//
//	{root}/{user}/tool_audit/YYYY-MM-DD.jsonl
//
// Exporter is an sdktrace.SpanExporter: give it to otelx.NewTracerProvider
// (which feeds it every tool span, sampled or not) or to any span processor.
// Spans that are not tool spans (gen_ai.operation.name != execute_tool) are
// ignored. Each line is a record.Entry in its JSON form; the files are
// the reference Python module's format, readable by it and by package
// reader.
//
// What it promises: each line reaches its file whole, in a write(2) with
// O_APPEND of whole lines (a batch's lines for one file, in writes of about
// 64 KiB), so concurrent writers (goroutines or processes) never interleave
// or tear lines; a line lands in the file of the day of its own ts; files are
// opened through an os.Root, so no user name or symlink leads outside the
// root; a file deleted while open is recreated; a failed write is kept in a
// bounded memory spill and retried (with the next export, on ForceFlush and
// by a timer), and what is given up is counted (Health), never silent.
// Durability is a choice (WithFsync): by default it is the operating
// system's, as with the reference module; FsyncBatch and FsyncInterval
// fsync the files, and the folders of each new day file. Each line ends
// with its link in its user's hash chain, which toolaudit verify checks
// (WithChain; docs/security.md).
package exporter

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/toolaudit/toolaudit/record"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/toolaudit/toolaudit/internal/jsonw"
	"github.com/toolaudit/toolaudit/internal/layout"
)

// Unattributed is the reserved folder for tool spans without a user or with
// a user name that cannot name a folder. No valid user name starts with
// '@'. Such spans are written there (the line keeps the original user, cut
// to 256 code points and "…") and reported to the exporter's error handler
// (WithErrorHandler).
const Unattributed = layout.Unattributed

// ErrClosed is returned by ExportSpans after Shutdown.
var ErrClosed = errors.New("toolaudit: audit exporter is shut down")

// Exporter writes tool spans to day files under a root folder. It is safe
// for concurrent use; calls are serialised.
type Exporter struct {
	cfg config

	mu      sync.Mutex
	files   *files
	batch   map[fileKey]*chunk // lines of the current export; buffers reused
	byRel   map[string]*chunk  // the same chunks, by file
	spill   map[string]*chunk  // lines whose write failed, by file
	spilled int                // bytes in spill
	closed  bool
	health  Health
	ids     [48]byte      // hex trace and span id of the span being encoded
	limited bool          // a tool span that lost attributes to span limits was reported
	retry   *time.Timer   // pending retry of the spill, nil if none
	stop    chan struct{} // closed on Shutdown: ends the fsync ticker

	// Published by unlock, so that Health and Check never wait for a
	// write in progress (a disk or a lock that hangs).
	snap    atomic.Pointer[Health]
	stopped atomic.Bool // closed

	metrics atomic.Pointer[metric.Registration] // the health callback, nil if none
}

// chunk is the bytes of whole lines bound for one file.
type chunk struct {
	user  string
	rel   string // the file, relative to the root
	data  []byte
	lines int
	used  bool // has lines in the current batch
	// The file's day, as Unix seconds [from, to) in the exporter's
	// location: a line whose time falls in it belongs here.
	from, to int64
}

// fileKey names a day file without building its path.
type fileKey struct {
	user             string
	year, month, day int
}

// Health is the state of an Exporter's writes.
type Health struct {
	LinesWritten uint64    // lines appended to files
	LinesPending uint64    // lines kept in memory after a failed write, to retry
	LinesFailed  uint64    // lines given up: spill full or exporter shut down
	FilesOpen    uint64    // day files held open
	LastError    error     // the last write error, nil if none
	LastErrorAt  time.Time // when LastError happened, by the exporter's clock
}

var _ sdktrace.SpanExporter = (*Exporter)(nil)

// New returns an Exporter writing under root. The root folder is created
// (0700) when the first line is written.
func New(root string, opts ...Option) (*Exporter, error) {
	if root == "" {
		return nil, errors.New("toolaudit: exporter root is empty")
	}
	c := newConfig(opts)
	e := &Exporter{
		cfg:   c,
		files: newFiles(root, c.maxOpenFiles, c.fsync != FsyncNever, !c.noChain),
		batch: make(map[fileKey]*chunk),
		byRel: make(map[string]*chunk),
		spill: make(map[string]*chunk),
		stop:  make(chan struct{}),
	}
	if err := e.registerMetrics(); err != nil {
		return nil, err
	}
	if c.fsync.interval > 0 {
		go e.syncEvery(c.fsync.interval)
	}
	return e, nil
}

func (e *Exporter) syncEvery(d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.lock()
			if err := e.files.syncDirty(); err != nil {
				e.files.report(err)
			}
			e.unlock()
		}
	}
}

// ErrNotWritable is wrapped by Check's error: the last write failed and
// lines wait in the spill.
var ErrNotWritable = errors.New("toolaudit: audit sink cannot write")

// Check returns nil when the exporter is writing: no line waits in the
// spill and it is not shut down. Otherwise the error says why, wrapping
// ErrNotWritable or ErrClosed, or it is ctx's error. It never waits for a
// write in progress. It is the check to give toolaudit.WithFailClosed, so
// that no tool runs while its call cannot be audited.
func (e *Exporter) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.stopped.Load() {
		return ErrClosed
	}
	h := e.Health()
	if h.LinesPending == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d lines wait for a retry after: %v", ErrNotWritable, h.LinesPending, h.LastError)
}

// ForceFlush retries the lines waiting in the spill and, with an fsync
// policy other than FsyncNever, fsyncs the files written to. It returns the
// errors of both.
func (e *Exporter) ForceFlush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.lock()
	defer e.unlock()
	if e.closed {
		return nil
	}
	err := e.flushLocked()
	if e.cfg.fsync != FsyncNever {
		err = errors.Join(err, e.files.syncDirty())
	}
	return err
}

// lock takes e.mu for one export, flush or retry, whose waits for day
// files' locks share one deadline: a file locked for ever, or several,
// hold it up by lockTimeout at most.
func (e *Exporter) lock() {
	e.mu.Lock()
	e.files.deadline = time.Now().Add(lockTimeout)
}

// unlock publishes what Check reads, releases e.mu, then hands what was
// reported meanwhile to the error handler, which is user code and so never
// runs under the lock.
func (e *Exporter) unlock() {
	h := e.health
	h.LinesPending = e.spillLines()
	h.FilesOpen = uint64(e.files.lru.Len())
	e.snap.Store(&h)
	e.stopped.Store(e.closed)
	reports := e.files.reports
	e.files.reports = nil
	e.mu.Unlock()
	for _, err := range reports {
		e.cfg.handle(err)
	}
}

// spillLines counts the lines in the spill.
func (e *Exporter) spillLines() uint64 {
	var n uint64
	for _, sp := range e.spill {
		n += uint64(sp.lines)
	}
	return n
}

// retrySpill is the retry timer's work.
func (e *Exporter) retrySpill() {
	e.lock()
	defer e.unlock()
	e.retry = nil
	if !e.closed {
		if err := e.flushLocked(); err != nil {
			e.files.report(err)
		}
	}
}

// ExportSpans appends one line per tool span to its day file, in writes of
// whole lines: one per file, and one more for each 64 KiB of its lines. The
// lines spilled by earlier failed writes to a file are retried first, in
// the same write as the new ones. It returns the write errors joined; the
// lines concerned are spilled for the next call (see Health). ctx is only
// checked before any work.
func (e *Exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.lock()
	defer e.unlock()
	if e.closed {
		n := 0
		for _, s := range spans {
			if spanattr.IsToolSpan(s.Attributes()) {
				n++
			}
		}
		e.health.LinesFailed += uint64(n)
		if n == 0 {
			return nil
		}
		return fmt.Errorf("%w: %d audit lines not written", ErrClosed, n)
	}

	var invalid []string // the first few, for the report
	var errs []error
	// The chunks of the last valid users seen in this batch: most lines
	// find theirs here, without validating the user again or hashing.
	if !e.limited {
		e.checkLimits(spans)
	}
	var recent [4]*chunk
	next := 0
	n := 0
	for _, s := range spans {
		attrs := s.Attributes()
		if !spanattr.IsToolSpan(attrs) {
			continue
		}
		entry := e.entryOf(s, attrs)
		sec := entry.Time.Unix()
		var c *chunk
		for _, r := range recent {
			if r != nil && r.user == entry.User && r.from <= sec && sec < r.to {
				c = r
				break
			}
		}
		if c == nil {
			var valid bool
			if c, valid = e.chunkFor(&entry); valid {
				recent[next%len(recent)] = c
				next++
			} else {
				if n++; len(invalid) < 5 {
					invalid = append(invalid, fmt.Sprintf("%q", cut(entry.User, 64)))
				}
				// A name that is not valid can be of any length: cut
				// as text fields are at the line cap, or each line
				// would carry it whole.
				entry.User = cut(entry.User, 256)
			}
		}
		c.data = e.appendLine(c.data, &entry)
		c.data = append(c.data, '\n')
		c.lines++
		c.used = true
		if len(c.data) >= writeAt && e.spill[c.rel] == nil {
			// Write what the file has so far, so that the buffer kept for
			// the next batch stays small. With lines in the spill, the
			// older lines must go first: that waits for flushLocked.
			if err := e.write(c.rel, c); err != nil {
				errs = append(errs, err)
			}
			c.data, c.lines = c.data[:0], 0
		}
	}
	if len(invalid) > 0 {
		e.files.report(fmt.Errorf("toolaudit: %d tool calls without a valid user (%s) written under %s", n, strings.Join(invalid, ", "), Unattributed))
	}
	err := e.flushLocked()
	if len(errs) == 0 {
		return err
	}
	return errors.Join(append(errs, err)...)
}

// checkLimits reports, once per exporter, a tool span that lost attributes
// to its tracer provider's span limits. Limits are the provider's, so the
// batch's first tool span tells for the others (asking each costs 4% of the
// encoding).
func (e *Exporter) checkLimits(spans []sdktrace.ReadOnlySpan) {
	for _, s := range spans {
		if !spanattr.IsToolSpan(s.Attributes()) {
			continue
		}
		if n := s.DroppedAttributes(); n > 0 {
			e.limited = true
			e.files.report(fmt.Errorf("toolaudit: tool span %q lost %d attributes to span limits, so its line may lack user, status or arguments: raise OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT or use otelx.NewTracerProvider (reported once)", s.Name(), n))
		}
		return
	}
}

// chunkFor returns the chunk of en's day file, made when needed, and whether
// en's user names a folder: if not, the file is under Unattributed.
func (e *Exporter) chunkFor(en *record.Entry) (c *chunk, valid bool) {
	dir, valid := en.User, true
	if layout.ValidateUser(dir) != nil || dir == Unattributed {
		dir, valid = Unattributed, false
	}
	y, m, d := en.Time.Date()
	key := fileKey{dir, y, int(m), d}
	if c = e.batch[key]; c == nil {
		c = &chunk{user: dir, rel: layout.DayFile(dir, en.Time),
			from: time.Date(y, m, d, 0, 0, 0, 0, e.cfg.loc).Unix(),
			to:   time.Date(y, m, d+1, 0, 0, 0, 0, e.cfg.loc).Unix()}
		e.batch[key] = c
	}
	return c, valid
}

// writeAt is the size at which a file's lines are written before the end of
// their batch. Lines stay whole; what the buffers keep alive between
// batches stays small (a live buffer makes the garbage collector run more
// often in an application with a small heap).
const writeAt = 64 << 10

// flushLocked writes the current batch and the spill, one write per file,
// then with FsyncBatch fsyncs the files written to.
func (e *Exporter) flushLocked() error {
	var errs []error
	spill := e.spill
	if len(spill) > 0 {
		e.spill = make(map[string]*chunk, len(spill))
	}
	clear(e.byRel)
	for _, c := range e.batch {
		e.byRel[c.rel] = c
	}
	for rel, sp := range spill {
		e.spilled -= len(sp.data)
		if c := e.byRel[rel]; c != nil {
			// Older lines first, in the same write.
			sp.data = append(sp.data, c.data...)
			sp.lines += c.lines
			c.data, c.lines = c.data[:0], 0
		}
		if err := e.write(rel, sp); err != nil {
			errs = append(errs, err)
		}
	}
	for key, c := range e.batch {
		if c.used {
			c.used = false
		} else {
			// Unused in this batch: let its buffer go.
			delete(e.batch, key)
			continue
		}
		if c.lines > 0 {
			if err := e.write(c.rel, c); err != nil {
				errs = append(errs, err)
			}
		}
		if cap(c.data) > maxKeptBuffer {
			c.data = nil
		}
		c.data, c.lines = c.data[:0], 0
	}
	if e.cfg.fsync.batch {
		if err := e.files.syncDirty(); err != nil {
			// The lines are written; only their durability is in doubt.
			e.health.LastError, e.health.LastErrorAt = err, e.cfg.now()
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// write appends c to rel in one write. What is not written whole is spilled.
func (e *Exporter) write(rel string, c *chunk) error {
	of, err := e.files.get(rel, c.user)
	n := 0
	if err == nil {
		n, err = e.files.append(of, c.data)
	}
	if err == nil {
		e.health.LinesWritten += uint64(c.lines)
		return nil
	}
	// Keep what did not reach the file whole (append wrote n bytes of
	// whole lines and no fragment). The handle is dropped: the file is
	// opened again for the retry.
	e.files.drop(rel)
	done := n
	written := bytes.Count(c.data[:done], []byte{'\n'})
	e.health.LinesWritten += uint64(written)
	rest := c.data[done:]
	lines := c.lines - written
	e.health.LastError, e.health.LastErrorAt = err, e.cfg.now()
	keep, kept := len(rest), lines
	if room := e.cfg.maxSpillBytes - e.spilled; keep > room {
		// Keep the oldest lines that fit, so that the file's order is
		// kept when they are written; give up the newer ones.
		keep = bytes.LastIndexByte(rest[:room], '\n') + 1
		kept = bytes.Count(rest[:keep], []byte{'\n'})
	}
	failed := lines - kept
	e.health.LinesFailed += uint64(failed)
	if kept > 0 {
		e.spill[rel] = &chunk{user: c.user, data: append([]byte(nil), rest[:keep]...), lines: kept}
		e.spilled += keep
		if e.retry == nil && !e.closed {
			e.retry = time.AfterFunc(e.cfg.retryInterval, e.retrySpill)
		}
	}
	switch {
	case failed == 0:
		return fmt.Errorf("toolaudit: %d audit lines for %s kept for retry: %w", kept, rel, err)
	case kept == 0:
		return fmt.Errorf("toolaudit: %d audit lines for %s given up, spill full: %w", failed, rel, err)
	}
	return fmt.Errorf("toolaudit: %d audit lines for %s given up, spill full; %d kept for retry: %w", failed, rel, kept, err)
}

// maxKeptBuffer is the largest line buffer kept for the next batch.
const maxKeptBuffer = 4 * writeAt

// Shutdown retries spilled lines once, closes the files and stops the
// exporter. Lines still unwritten are counted as failed and reported in the
// error. Later calls do nothing.
func (e *Exporter) Shutdown(ctx context.Context) error {
	merr := e.unregisterMetrics()
	e.lock()
	defer e.unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	close(e.stop)
	if e.retry != nil {
		e.retry.Stop()
		e.retry = nil
	}
	err := e.flushLocked()
	for _, sp := range e.spill {
		e.health.LinesFailed += uint64(sp.lines)
	}
	clear(e.spill)
	e.spilled = 0
	return errors.Join(err, e.files.closeAll(), merr)
}

// Health returns the state of the writes as of the last finished export,
// flush or retry. It never waits for one in progress.
func (e *Exporter) Health() Health {
	if h := e.snap.Load(); h != nil {
		return *h
	}
	return Health{}
}

// entryOf turns a tool span into its audit entry.
func (e *Exporter) entryOf(s sdktrace.ReadOnlySpan, attrs []attribute.KeyValue) record.Entry {
	en := spanattr.Entry(s, attrs)
	en.Time = en.Time.In(e.cfg.loc)
	// The ids are hex in a buffer reused for each span: the entry is
	// encoded before the next one is made. Args is a read-only view of the
	// attribute: AppendJSON copies it into the line as it is.
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	hex.Encode(e.ids[:32], tid[:])
	hex.Encode(e.ids[32:], sid[:])
	en.TraceID = unsafe.String(&e.ids[0], 32)
	en.SpanID = unsafe.String(&e.ids[32], 16)
	return en
}

// appendLine appends en's line, shrunk to the line cap if needed.
func (e *Exporter) appendLine(b []byte, en *record.Entry) []byte {
	start := len(b)
	b = en.AppendJSON(b)
	if len(b)-start <= e.cfg.maxLine {
		return b
	}
	orig := en.Args
	if valid, _ := jsonw.ScanObject(orig); valid {
		for _, limit := range []int{100, 10} {
			en.Args = jsonw.AppendRaw(nil, orig, limit)
			if b = en.AppendJSON(b[:start]); len(b)-start <= e.cfg.maxLine {
				return b
			}
		}
	}
	en.Args = fmt.Appendf(nil, `{"_truncated":"arguments of %d bytes removed: the line exceeded %d bytes"}`, len(orig), e.cfg.maxLine)
	for _, f := range []*string{&en.User, &en.Engine, &en.Model, &en.Tool, &en.CallID} {
		*f = cut(*f, 256)
	}
	en.ResultSnippet = cut(en.ResultSnippet, 300)
	// Now about 10 KiB at most whatever the input, under the smallest cap.
	return en.AppendJSON(b[:start])
}

func cut(s string, n int) string {
	if p, ok := jsonw.Prefix(s, n); ok {
		return p + "…"
	}
	return s
}

package s3ship

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/toolaudit/toolaudit/record"
)

// lineIter yields a host's lines, forwards or backwards.
type lineIter interface {
	next() ([]byte, bool, error)
}

type head struct {
	e    record.Entry
	host int
	it   lineIter
}

type heads struct {
	h    []*head
	desc bool
}

func (h heads) Len() int { return len(h.h) }
func (h heads) Less(i, j int) bool {
	a, b := h.h[i], h.h[j]
	if !a.e.Time.Equal(b.e.Time) {
		return a.e.Time.Before(b.e.Time) != h.desc
	}
	return (a.host < b.host) != h.desc
}
func (h heads) Swap(i, j int) { h.h[i], h.h[j] = h.h[j], h.h[i] }
func (h *heads) Push(x any)   { h.h = append(h.h, x.(*head)) }
func (h *heads) Pop() any {
	x := h.h[len(h.h)-1]
	h.h = h.h[:len(h.h)-1]
	return x
}

// advance reads the iterator's next entry into hd; false at its end.
func (r *Reader) advance(hd *head) (bool, error) {
	for {
		line, ok, err := hd.it.next()
		if err != nil || !ok {
			return false, err
		}
		if e, ok := r.parse(line); ok {
			hd.e = e
			return true, nil
		}
	}
}

// merge yields the iterators' entries by ts (descending if desc), at most
// limit (0: all). It returns how many it yielded and false if the caller
// must stop.
func (r *Reader) merge(its []lineIter, desc bool, limit int, yield func(record.Entry, error) bool) (int, bool) {
	h := &heads{desc: desc}
	for i, it := range its {
		hd := &head{host: i, it: it}
		ok, err := r.advance(hd)
		if err != nil {
			return 0, yield(record.Entry{}, err)
		}
		if ok {
			h.h = append(h.h, hd)
		}
	}
	heap.Init(h)
	n := 0
	for h.Len() > 0 {
		hd := h.h[0]
		if !yield(hd.e, nil) {
			return n, false
		}
		n++
		if limit > 0 && n >= limit {
			return n, true
		}
		ok, err := r.advance(hd)
		if err != nil {
			return n, yield(record.Entry{}, err)
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return n, true
}

// forward reads a host's objects in order, streaming each body.
type forward struct {
	r     *Reader
	ctx   context.Context
	parts []part
	pi    int
	body  io.ReadCloser
	br    *bufio.Reader
}

func (f *forward) next() ([]byte, bool, error) {
	for {
		if f.br == nil {
			if f.pi >= len(f.parts) {
				return nil, false, nil
			}
			body, err := f.r.get(f.ctx, f.parts[f.pi], "")
			if err != nil {
				return nil, false, err
			}
			f.body, f.br = body, bufio.NewReaderSize(body, 64<<10)
			f.pi++
		}
		line, err := f.br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			return line[:len(line)-1], true, nil
		}
		f.body.Close()
		f.body, f.br = nil, nil
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, false, err
		}
		if len(line) > 0 {
			return line, true, nil // a last line without its newline
		}
	}
}

// backward reads a host's objects from the last line of the last one,
// fetching ranged blocks from each object's end, doubling as lines need.
type backward struct {
	r     *Reader
	ctx   context.Context
	parts []part
	pi    int    // parts[pi] is being read; len(parts) before the first
	lo    int64  // buf holds the part's bytes [lo, lo+len(buf))
	buf   []byte // what is not yet returned
	block int64
}

func (b *backward) next() ([]byte, bool, error) {
	for {
		if b.buf == nil && b.lo == 0 {
			if b.pi == 0 {
				return nil, false, nil
			}
			b.pi--
			b.lo, b.buf, b.block = b.parts[b.pi].size, []byte{}, 64<<10
		}
		end := len(b.buf)
		if end > 0 && b.buf[end-1] == '\n' {
			end--
		}
		if i := bytes.LastIndexByte(b.buf[:end], '\n'); i >= 0 {
			line := b.buf[i+1 : end]
			b.buf = b.buf[:i+1]
			return line, true, nil
		}
		if b.lo == 0 {
			line := b.buf[:end]
			b.buf = nil
			if len(line) == 0 && end == 0 {
				continue
			}
			return line, true, nil
		}
		n := min(b.block, b.lo)
		body, err := b.r.get(b.ctx, b.parts[b.pi], fmt.Sprintf("bytes=%d-%d", b.lo-n, b.lo-1))
		if err != nil {
			return nil, false, err
		}
		chunk, err := io.ReadAll(body)
		body.Close()
		if err != nil {
			return nil, false, err
		}
		if int64(len(chunk)) != n {
			return nil, false, fmt.Errorf("s3ship: %s: asked for %d bytes, got %d", b.parts[b.pi].key, n, len(chunk))
		}
		b.buf = append(chunk, b.buf...)
		b.lo -= n
		b.block *= 2
	}
}

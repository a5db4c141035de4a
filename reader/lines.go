package reader

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// blockSize is how much a backward scan reads at a time; its first read is
// firstBlock, enough for the newest lines, so a merge across many users
// that needs one line of each reads little.
const (
	blockSize  = 64 << 10
	firstBlock = 4 << 10
)

// skipLimit is how far a line longer than max may run before a reader
// gives up the rest of its file: 4 times max, and at least 16 MiB. A hole
// planted in a file (a sparse terabyte of zeros, no newline) would
// otherwise be scanned to its end. No writer writes such lines: the
// exporter caps them at 64 KiB.
func skipLimit(longest int) int64 { return max(4*int64(longest), 16<<20) }

// errLongLine is the error of a line running past skipLimit.
func errLongLine(limit, at int64) error {
	return fmt.Errorf("a line of more than %d bytes at offset %d: the rest of the file is not read", limit, at)
}

// backward yields the lines of a file from its end to its start, reading it
// in blocks, so that the newest lines of a large file cost what they
// weigh, not what the file weighs. Lines longer than max are skipped whole,
// up to skipLimit; memory stays under about 2*max + blockSize,
// and blocks are read into one buffer that grows at its front, so reading
// costs few allocations.
type backward struct {
	f     *os.File
	max   int
	off   int64  // file offset of store[start]
	store []byte // the unread bytes are store[start:end]
	start int
	end   int
	skip  bool  // the line being assembled is over max: drop it
	run   int64 // bytes of that line dropped so far
	done  bool
	block int // size of the next read
}

func newBackward(f *os.File, size int64, max int) *backward {
	return &backward{f: f, off: size, max: max, block: firstBlock}
}

// next returns the previous line (without its newline; it may be empty),
// valid until the following call, or ok=false at the start of the file.
// ctx is checked before each block read.
func (b *backward) next(ctx context.Context) (line []byte, ok bool, err error) {
	for {
		buf := b.store[b.start:b.end]
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			line = buf[i+1:]
			b.end = b.start + i
			if b.skip || len(line) > b.max {
				b.skip, b.run = false, 0
				continue
			}
			return line, true, nil
		}
		if b.off == 0 {
			if b.done || b.skip || len(buf) > b.max {
				return nil, false, nil
			}
			b.done = true
			return buf, true, nil
		}
		if len(buf) > b.max || b.skip {
			// Over the limit: forget the line's bytes, keep the buffer.
			b.run += int64(len(buf))
			b.start, b.end, b.skip = len(b.store), len(b.store), true
			if limit := skipLimit(b.max); b.run > limit {
				return nil, false, errLongLine(limit, b.off)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		n := int(min(int64(b.block), b.off))
		b.block = min(2*b.block, blockSize)
		if b.start < n {
			b.grow(n)
		}
		got, err := b.f.ReadAt(b.store[b.start-n:b.start], b.off-int64(n))
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, false, err
		}
		if got < n {
			// The file was truncated under us: what is left to read is
			// not what the lines already returned followed.
			b.off, b.start, b.end, b.done = 0, 0, 0, true
			return nil, false, nil
		}
		b.start -= n
		b.off -= int64(n)
	}
}

// grow makes room for n bytes before store[start]: it moves the unread
// bytes to the end of the store when that is enough, else moves them to a
// store twice as large.
func (b *backward) grow(n int) {
	used := b.end - b.start
	if used+n <= len(b.store) {
		copy(b.store[len(b.store)-used:], b.store[b.start:b.end])
		b.start, b.end = len(b.store)-used, len(b.store)
		return
	}
	size := max(2*used+n, used+2*n)
	if b.store == nil {
		// The first read: a merge across many users often needs nothing more.
		size = n
	}
	ns := make([]byte, size)
	copy(ns[size-used:], b.store[b.start:b.end])
	b.store, b.start, b.end = ns, size-used, size
}

// forward yields the lines of r in order, skipping lines longer than max
// up to skipLimit; memory stays under about max.
type forward struct {
	r    *bufio.Reader
	max  int
	long []byte
	off  int64 // bytes read
}

func newForward(r io.Reader, max int) *forward {
	return &forward{r: bufio.NewReaderSize(r, min(max, 1<<20)), max: max}
}

// next returns the next line (without its newline), valid until the
// following call, or ok=false at the end. ctx is checked while a long line
// is read.
func (fw *forward) next(ctx context.Context) (line []byte, ok bool, err error) {
	for {
		line, err = fw.r.ReadSlice('\n')
		fw.off += int64(len(line))
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: assemble it up to max.
			fw.long = append(fw.long[:0], line...)
			ok, err := fw.readLong(ctx)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				continue // over max, skipped
			}
			return fw.long, true, nil
		}
		if len(line) > 0 {
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			if len(line) > fw.max {
				continue
			}
			return line, true, nil
		}
		if err == io.EOF {
			return nil, false, nil
		}
		return nil, false, err
	}
}

// readLong appends the rest of a long line to fw.long; false if it is over
// max, in which case the rest is read and dropped, up to skipLimit.
func (fw *forward) readLong(ctx context.Context) (bool, error) {
	over := false
	run := int64(len(fw.long))
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if limit := skipLimit(fw.max); run > limit {
			return false, errLongLine(limit, fw.off)
		}
		part, err := fw.r.ReadSlice('\n')
		fw.off += int64(len(part))
		run += int64(len(part))
		if !over {
			fw.long = append(fw.long, part...)
			// The limit is on the line without its newline.
			if len(fw.long) > fw.max+1 || len(fw.long) == fw.max+1 && fw.long[fw.max] != '\n' {
				over, fw.long = true, fw.long[:0]
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if !over && len(fw.long) > 0 && fw.long[len(fw.long)-1] == '\n' {
			fw.long = fw.long[:len(fw.long)-1]
		}
		return !over, nil
	}
}

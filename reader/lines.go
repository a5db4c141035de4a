package reader

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
)

// blockSize is how much a backward scan reads at a time.
const blockSize = 64 << 10

// backward yields the lines of a file from its end to its start, reading it
// in blocks, so that the newest lines of a large file cost what they
// weigh, not what the file weighs. Lines longer than max are skipped whole;
// memory stays under about 2*max + blockSize.
type backward struct {
	f    *os.File
	max  int
	off  int64  // file offset of buf[0]
	buf  []byte // file[off:end of the next line to yield]
	skip bool   // the line being assembled is over max: drop it
	done bool
}

func newBackward(f *os.File, size int64, max int) *backward {
	return &backward{f: f, off: size, max: max}
}

// next returns the previous line (without its newline; it may be empty),
// valid until the following call, or ok=false at the start of the file.
func (b *backward) next() (line []byte, ok bool, err error) {
	for {
		if i := bytes.LastIndexByte(b.buf, '\n'); i >= 0 {
			line = b.buf[i+1:]
			b.buf = b.buf[:i]
			if b.skip {
				b.skip = false
				continue
			}
			return line, true, nil
		}
		if b.off == 0 {
			if b.done {
				return nil, false, nil
			}
			b.done = true
			if b.skip {
				return nil, false, nil
			}
			return b.buf, true, nil
		}
		if len(b.buf) > b.max {
			b.buf, b.skip = b.buf[:0], true
		}
		n := int64(max(blockSize, len(b.buf)))
		n = min(n, b.off)
		nb := make([]byte, int(n)+len(b.buf))
		if _, err := b.f.ReadAt(nb[:n], b.off-n); err != nil && !errors.Is(err, io.EOF) {
			return nil, false, err
		}
		copy(nb[n:], b.buf)
		b.buf = nb
		b.off -= n
	}
}

// forward yields the lines of r in order, skipping lines longer than max;
// memory stays under about max.
type forward struct {
	r    *bufio.Reader
	max  int
	long []byte
}

func newForward(r io.Reader, max int) *forward {
	return &forward{r: bufio.NewReaderSize(r, min(max, 1<<20)), max: max}
}

// next returns the next line (without its newline), valid until the
// following call, or ok=false at the end.
func (fw *forward) next() (line []byte, ok bool, err error) {
	for {
		line, err = fw.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: assemble it up to max.
			if fw.long = append(fw.long[:0], line...); !fw.readLong() {
				continue // over max, skipped
			}
			return fw.long, true, nil
		}
		if len(line) > 0 {
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
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
// max, in which case the rest is read and dropped.
func (fw *forward) readLong() bool {
	over := false
	for {
		part, err := fw.r.ReadSlice('\n')
		if !over {
			fw.long = append(fw.long, part...)
			if len(fw.long) > fw.max {
				over, fw.long = true, fw.long[:0]
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if !over && len(fw.long) > 0 && fw.long[len(fw.long)-1] == '\n' {
			fw.long = fw.long[:len(fw.long)-1]
		}
		return !over
	}
}

package chain

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/toolaudit/toolaudit/internal/jsonw"
)

// Day is what Verify found in one day file.
type Day struct {
	Lines     int // lines, a last one without "\n" included
	Chained   int // lines carrying a link
	Legacy    int // lines without a link before the user's first link
	Torn      int // lines that are not a JSON object (a write cut short)
	FirstTorn int // the first torn line, 0 if none
	Fail      int // the first line that breaks the chain, 0 if none
	Reason    string
	Head      Link // the last link, or the prev given when there is none
	Start     Link // the link the first linked line follows (Prev when none)
	Started   bool // the user's chain has begun: a link here or before
	Open      bool // the last line has no "\n"
	// Ends[i] and Heads[i] are the offset after line Options.At[i] and
	// the head after it (zero when the file is shorter), for checkpoints.
	Ends  []int64
	Heads []Link
	// Links are the file's links in order, with Options.Links: those the
	// next day's first line may follow.
	Links []Link
	// WholeEnd and WholeHead are the offset after the last line ending in
	// "\n" and the head after it.
	WholeEnd  int64
	WholeHead Link

	h Hasher
}

// Options are what Verify needs from the days before.
type Options struct {
	// Prev is the head of the user's previous days, Genesis(user) for none.
	Prev Link
	// Alt are other links the file's first link may follow: the earlier
	// links of the previous day file and the link that file started from
	// (lines written to it after this file began), and the user's genesis
	// link after days removed by retention.
	Alt []Link
	// Started says that an earlier day had a link: from there on, a line
	// without one is not legacy.
	Started bool
	// At are line numbers, ascending, whose end and head Verify records
	// in Day.Ends and Day.Heads: memory follows len(At), not the lines.
	At []int
	// Links fills Day.Links.
	Links bool
	// MaxLine bounds a line: past it the file fails and the rest is not
	// read (a sparse hole of a terabyte). 0 means DefaultMaxLine.
	MaxLine int64
}

// DefaultMaxLine is far above the writer's 64 KiB lines and the reader's
// 16 MiB limit.
const DefaultMaxLine = 64 << 20

// maxLine bounds the bytes of one line that Verify holds; a longer line
// is hashed all the same but checked as torn (the writer's are 64 KiB).
const maxLine = 16 << 20

// ctxEvery is how many bytes Verify reads between looks at its context.
const ctxEvery = 1 << 20

// Verify reads one day file and checks its chain. It never fails on the
// content: what is wrong is in Day. The error is r's, or ctx's, which it
// checks as it reads.
func Verify(ctx context.Context, r io.Reader, o Options) (Day, error) {
	d := Day{Head: o.Prev, Start: o.Prev, Started: o.Started, WholeHead: o.Prev}
	limit := o.MaxLine
	if limit <= 0 {
		limit = DefaultMaxLine
	}
	if len(o.At) > 0 {
		d.Ends, d.Heads = make([]int64, len(o.At)), make([]Link, len(o.At))
	}
	at := 0
	br := bufio.NewReaderSize(r, 1<<20)
	var long []byte // a line longer than the buffer, gathered
	var off, run, look int64
	first := true
	for {
		if off >= look {
			if err := ctx.Err(); err != nil {
				return d, err
			}
			look = off + ctxEvery
		}
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < maxLine {
				long = append(long, line...)
			}
			off += int64(len(line))
			if run += int64(len(line)); run > limit {
				d.Lines++
				d.Fail, d.Reason = d.Lines, fmt.Sprintf("a line longer than %d bytes at line %d; the rest not read", limit, d.Lines)
				return d, nil
			}
			continue
		}
		run = 0
		if err != nil && !errors.Is(err, io.EOF) {
			return d, err
		}
		if len(line) == 0 && long == nil {
			break
		}
		off += int64(len(line))
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		d.Lines++
		n := len(line)
		line = bytes.TrimSuffix(line, []byte{'\n'})
		d.Open = len(line) == n
		d.check(line, &o, &first)
		if !d.Open {
			d.WholeEnd, d.WholeHead = off, d.Head
		}
		for at < len(o.At) && o.At[at] <= d.Lines {
			if o.At[at] == d.Lines {
				d.Ends[at], d.Heads[at] = off, d.Head
			}
			at++
		}
		if err != nil {
			break
		}
	}
	return d, nil
}

// check classifies one line, without its "\n".
func (d *Day) check(line []byte, o *Options, first *bool) {
	p, link, ok := Split(line)
	if !ok {
		if valid, _ := jsonw.ScanObject(line); !valid {
			if d.Torn++; d.FirstTorn == 0 {
				d.FirstTorn = d.Lines
			}
			return
		}
		if !d.Started {
			d.Legacy++
			return
		}
		d.fail("a line without a link after linked lines (inserted, or from a writer without chaining)")
		return
	}
	d.Chained++
	d.Started = true
	if o.Links {
		d.Links = append(d.Links, link)
	}
	if want := d.h.Next(d.Head, p); want != link {
		switch {
		case !*first:
			d.fail("its link does not match: this line or the one before was edited, inserted, deleted or moved")
		default:
			if s, ok := d.followsAny(o.Alt, p, link); ok {
				d.Start = s
			} else {
				d.fail("it does not link to the previous day's head: a day, or lines at its end, deleted, or this file replaced or edited")
			}
		}
	}
	*first = false
	d.Head = link // the next line links to this one as written
}

func (d *Day) fail(reason string) {
	if d.Fail == 0 {
		d.Fail, d.Reason = d.Lines, reason
	}
}

func (d *Day) followsAny(alt []Link, p []byte, link Link) (Link, bool) {
	for i := len(alt) - 1; i >= 0; i-- {
		if d.h.Next(alt[i], p) == link {
			return alt[i], true
		}
	}
	return Link{}, false
}

package chain

import (
	"bufio"
	"bytes"
	"errors"
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
	// With Keep: the offset after each line and the head after it, for
	// the checkpoints, and the links the next day's first line may name.
	Ends  []int64
	Heads []Link

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
	// Keep fills Day.Ends and Day.Heads.
	Keep bool
}

// maxLine bounds the bytes of one line that Verify holds; a longer line
// is hashed all the same but checked as torn (the writer's are 64 KiB).
const maxLine = 16 << 20

// Verify reads one day file and checks its chain. It never fails on the
// content: what is wrong is in Day. The error is r's.
func Verify(r io.Reader, o Options) (Day, error) {
	d := Day{Head: o.Prev, Start: o.Prev, Started: o.Started}
	br := bufio.NewReaderSize(r, 1<<20)
	var long []byte // a line longer than the buffer, gathered
	var off int64
	first := true
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < maxLine {
				long = append(long, line...)
			}
			off += int64(len(line))
			continue
		}
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
		if o.Keep {
			d.Ends = append(d.Ends, off)
			d.Heads = append(d.Heads, d.Head)
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

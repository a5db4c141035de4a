package reader

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"os"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// defaultPoll is how often Follow looks for new lines.
const defaultPoll = 250 * time.Millisecond

// followed is the state of one user's day file under Follow.
type followed struct {
	user    string
	day     string // YYYY-MM-DD of the file followed
	rel     string // the file's path, relative to the root
	f       *os.File
	off     int64  // bytes of the file already consumed
	partial []byte // the start of a line not yet ended
	long    bool   // the line being read is over the limit: drop it
	run     int64  // bytes of that line read so far
}

// Follow yields the entries appended to the day files of users (of every
// user, also ones that appear later, when users is empty) from the moment
// it is called, like tail -f, until ctx is done or the caller stops. It
// polls every poll (0 means 250 ms), follows today's file across midnight,
// starts over when a file is truncated or replaced and yields whole lines
// only. An invalid user ends it; other errors, such as a *UserError, are
// yielded once while they last, and following goes on.
func (r *Reader) Follow(ctx context.Context, poll time.Duration, users ...string) iter.Seq2[record.Entry, error] {
	return func(yield func(record.Entry, error) bool) {
		for _, u := range users {
			if err := layout.ValidateUser(u); err != nil {
				yield(record.Entry{}, err)
				return
			}
		}
		if poll <= 0 {
			poll = defaultPoll
		}
		state := map[string]*followed{}
		defer func() {
			for _, st := range state {
				if st.f != nil {
					st.f.Close()
				}
			}
		}()
		first := true
		var failing map[string]bool // the errors of the last poll
		for {
			now := map[string]bool{}
			once := func(e record.Entry, err error) bool {
				if err != nil {
					msg := err.Error()
					if now[msg] = true; failing[msg] {
						return true // yielded already, and failing since
					}
				}
				return yield(e, err)
			}
			ok := r.followOnce(ctx, users, state, first, once)
			failing = now
			first = false
			if !ok {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(poll):
			}
		}
	}
}

// followOnce reads what was appended since the last poll; false means stop.
func (r *Reader) followOnce(ctx context.Context, users []string, state map[string]*followed, first bool, yield func(record.Entry, error) bool) bool {
	root, err := r.openRoot()
	if root == nil {
		return err == nil || yield(record.Entry{}, err)
	}
	defer root.Close()
	names := users
	if len(names) == 0 {
		if names, err = r.candidates(ctx, root); err != nil {
			// Being stopped is the normal end, not an error to report.
			return ctx.Err() == nil && yield(record.Entry{}, err)
		}
	}
	today := r.today()
	day := today.Format(layout.DayLayout)
	for _, u := range names {
		if ctx.Err() != nil {
			return false
		}
		st := state[u]
		if st == nil {
			st = &followed{}
			state[u] = st
		}
		if st.f != nil && st.day != day {
			// A new day: finish yesterday's file, then move on.
			if !r.drain(ctx, st, yield) {
				return false
			}
			st.f.Close()
			*st = followed{}
		}
		rel := layout.DayFile(u, today)
		if st.f == nil {
			f, size, err := openDay(root, u, rel)
			if err != nil && !yield(record.Entry{}, err) {
				return false
			}
			if f == nil {
				continue
			}
			st.f, st.user, st.day, st.rel = f, u, day, rel
			if first {
				st.off = size // only what is appended from now on
			}
		} else if replaced(root, rel, st.f) {
			// Deleted or replaced: finish the old inode, then the new file.
			if !r.drain(ctx, st, yield) {
				return false
			}
			st.f.Close()
			*st = followed{}
			f, _, err := openDay(root, u, rel)
			if err != nil && !yield(record.Entry{}, err) {
				return false
			}
			if f == nil {
				continue
			}
			st.f, st.user, st.day, st.rel = f, u, day, rel
		}
		if !r.drain(ctx, st, yield) {
			return false
		}
	}
	return true
}

// drain yields the whole lines between st.off and the end of the file. A
// line running past skipLimit (a hole planted in
// the file) is reported once and jumped over to the file's current end.
func (r *Reader) drain(ctx context.Context, st *followed, yield func(record.Entry, error) bool) bool {
	info, err := st.f.Stat()
	if err != nil {
		return yield(record.Entry{}, &UserError{User: st.user, Err: fileError("reading", st.rel, err)})
	}
	size := info.Size()
	if size < st.off {
		// Truncated: start over.
		st.off, st.partial = 0, st.partial[:0]
	}
	for st.off < size {
		if ctx.Err() != nil {
			return false
		}
		buf := make([]byte, min(size-st.off, blockSize))
		n, err := st.f.ReadAt(buf, st.off)
		st.off += int64(n)
		data := append(st.partial, buf[:n]...)
		for {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break
			}
			if st.long {
				st.long, st.run = false, 0
			} else if e, ok := r.parse(data[:i]); ok && !yield(e, nil) {
				return false
			}
			data = data[i+1:]
		}
		if len(data) > r.maxLine || st.long {
			// An over-long line: dropped, as the readers do.
			st.long, st.run = true, st.run+int64(len(data))
			data = data[:0]
			if limit := skipLimit(r.maxLine); st.run > limit {
				err := &UserError{User: st.user, Err: fileError("reading", st.rel, errLongLine(limit, st.off))}
				st.off, st.run = size, 0
				if !yield(record.Entry{}, err) {
					return false
				}
			}
		}
		st.partial = append(st.partial[:0], data...)
		if err != nil && n == 0 {
			if errors.Is(err, io.EOF) {
				return true // shrank while read: the next poll starts over
			}
			return yield(record.Entry{}, &UserError{User: st.user, Err: fileError("reading", st.rel, err)})
		}
	}
	return true
}

// replaced reports whether rel no longer names the file f is open on.
func replaced(root *tree, rel string, f *os.File) bool {
	cur, err := root.Open(rel)
	if err != nil {
		return true
	}
	defer cur.Close()
	a, err1 := f.Stat()
	b, err2 := cur.Stat()
	return err1 != nil || err2 != nil || !os.SameFile(a, b)
}

package reader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// stream yields one user's entries newest first: day files from today
// backwards, each read from its end. Files are opened one at a time, when
// reached.
type stream struct {
	r     *Reader
	root  *tree
	user  string
	day   time.Time // the day of the open file, or the next day to open
	left  int       // days still to open, after the open one
	f     *os.File
	rel   string // f's path, relative to the root
	lines *backward
	seen  int // lines read, for context checks
}

func (r *Reader) newStream(root *tree, user string, days int) *stream {
	return &stream{r: r, root: root, user: user, day: r.today(), left: days}
}

// next returns the next older entry, or ok=false when there is none. A
// *UserError is about one day file, or the user's folder, which is then
// skipped: next may be called again.
func (s *stream) next(ctx context.Context) (record.Entry, bool, error) {
	for {
		if s.lines == nil {
			if s.left == 0 {
				return record.Entry{}, false, nil
			}
			if err := ctx.Err(); err != nil {
				return record.Entry{}, false, err
			}
			if err := s.open(); err != nil {
				return record.Entry{}, false, err
			}
			continue
		}
		line, ok, err := s.lines.next(ctx)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return record.Entry{}, false, cerr
			}
			err = &UserError{User: s.user, Err: fileError("reading", s.rel, err)}
			s.closeFile()
			return record.Entry{}, false, err
		}
		if !ok {
			s.closeFile()
			continue
		}
		if s.seen++; s.seen%ctxCheckInterval == 0 {
			if err := ctx.Err(); err != nil {
				return record.Entry{}, false, err
			}
		}
		if e, ok := s.r.parse(line); ok {
			return e, true, nil
		}
	}
}

// open opens the next day's file, if there is one, and steps the day back.
// When the file cannot be opened because the user's folder cannot, the
// error is the folder's and no other day is tried: one error per user.
func (s *stream) open() error {
	rel := layout.DayFile(s.user, s.day)
	s.day = s.day.AddDate(0, 0, -1)
	s.left--
	f, size, err := openDay(s.root, s.user, rel)
	if f == nil {
		if err != nil {
			if d, derr := openUserDir(s.root, s.user); derr != nil {
				s.left, err = 0, derr
			} else if d != nil {
				d.Close()
			}
		}
		return err
	}
	s.f, s.rel, s.lines = f, rel, newBackward(f, size, s.r.maxLine)
	return nil
}

func (s *stream) closeFile() {
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.lines = nil, nil
}

func (s *stream) close() { s.closeFile(); s.left = 0 }

// openDay opens user's day file rel for reading; nil without error when it
// does not exist, nil with a *UserError when it cannot be read.
func openDay(root *tree, user, rel string) (*os.File, int64, error) {
	f, err := root.Open(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, 0, nil
		}
		return nil, 0, &UserError{User: user, Err: fileError("opening", rel, err)}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, &UserError{User: user, Err: fileError("opening", rel, err)}
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, &UserError{User: user, Err: fmt.Errorf("audit file %s is not a regular file", rel)}
	}
	return f, st.Size(), nil
}

// parse reads one line; ok is false for an empty or malformed line.
func (r *Reader) parse(line []byte) (record.Entry, bool) {
	if isBlank(line) {
		return record.Entry{}, false
	}
	e, err := record.Parse(line, r.loc)
	return e, err == nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

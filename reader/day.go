package reader

import (
	"context"
	"io"
	"iter"

	"github.com/toolaudit/toolaudit/record"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// Day yields user's entries of day (YYYY-MM-DD) in file order, the order
// they were written, as the reference module's read_day: chronological, up
// to lines written a moment out of order (see WithMaxDisorder). Memory stays
// bounded (about the longest line allowed) whatever the file's size; lines
// appended after the file was opened are not yielded. An invalid user or
// day, or a read error (a *UserError naming the file), is yielded once and
// ends iteration.
func (r *Reader) Day(ctx context.Context, user, day string) iter.Seq2[record.Entry, error] {
	return func(yield func(record.Entry, error) bool) {
		if err := layout.ValidateUser(user); err != nil {
			yield(record.Entry{}, err)
			return
		}
		t, err := layout.ParseDay(day, r.loc)
		if err != nil {
			yield(record.Entry{}, err)
			return
		}
		root, ok := r.openFor(yield)
		if !ok {
			return
		}
		defer root.Close()
		rel := layout.DayFile(user, t)
		f, size, err := openDay(root, user, rel)
		if f == nil {
			if err != nil {
				yield(record.Entry{}, err)
			}
			return
		}
		defer f.Close()
		// Read what the file held when opened: a file that keeps growing
		// would otherwise never end.
		lines := newForward(io.LimitReader(f, size), r.maxLine)
		for n := 1; ; n++ {
			if n%ctxCheckInterval == 0 {
				if err := ctx.Err(); err != nil {
					yield(record.Entry{}, err)
					return
				}
			}
			line, ok, err := lines.next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					err = &UserError{User: user, Err: fileError("reading", rel, err)}
				}
				yield(record.Entry{}, err)
				return
			}
			if !ok {
				return
			}
			if e, ok := r.parse(line); ok && !yield(e, nil) {
				return
			}
		}
	}
}

// Package reader reads the audit files the exporter (or the reference
// Python module) writes: the recent entries of a user, one day of a user,
// the recent entries across users and the users themselves.
//
// Semantics follow the reference module: a user's recent entries are newest
// first, day by day back from today, in reverse file order within a day;
// one day is in file order; across users, entries are sorted newest first
// by ts, compared as times (a ts without a UTC offset is read in the
// reader's location). Empty and malformed lines are skipped, never fatal; a
// missing root, user or file is an empty result, not an error. A user's
// folder or day file that cannot be read (no permission, a FIFO, a symlink
// leading out of the root) is a *UserError: the other days and users are
// read all the same, and the error is returned (or yielded) beside them.
//
// Unlike the reference module, the readers never read what they do not
// return: recent entries are read backwards from the end of each file in
// blocks, and a day is read forwards in bounded memory. The recent entries
// across users are a k-way merge of each user's newest-first stream that
// stops when it has enough. Lines need not be in ts order in their file (a
// line that ended a moment before another can be appended after it), so
// the merge reads each user's lines ahead as far as WithMaxDisorder says.
// With a limit, RecentAll gathers its entries (at most the limit) and
// yields them sorted, even when a line was further out of order than that,
// though such a line may be left out for older ones; without one, they
// stream, each user read at most 1,024 lines ahead, and such a line comes
// late. User names
// and days are validated before they reach a path, and files are opened
// through an os.Root, so no symlink leads outside the root.
package reader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// Defaults of a Query (the reference module's) and of the options.
const (
	defaultDays        = 7
	defaultLimit       = 200 // Recent
	defaultLimitAll    = 500 // RecentAll
	defaultMaxLine     = 16 << 20
	defaultMaxDisorder = 2 * time.Second
	maxDays            = 3660
	ctxCheckInterval   = 256
)

// ErrInvalidUser is wrapped by errors about a user name that cannot name a
// folder: 1 to 64 ASCII letters, digits, '.', '_' or '-', not starting with
// '.' (or the exporter's reserved "@unattributed").
var ErrInvalidUser = layout.ErrInvalidUser

// ErrInvalidDay is wrapped by errors about a day that is not a real
// YYYY-MM-DD date.
var ErrInvalidDay = layout.ErrInvalidDay

// ErrInvalidQuery is wrapped by errors about a negative Days.
var ErrInvalidQuery = errors.New("invalid query")

// Query bounds a read of recent entries. The zero value means the
// reference module's defaults.
type Query struct {
	// Days is how many days back to read, counting today: 1 is today only.
	// 0 means 7.
	Days int
	// Limit is the most entries yielded: 0 means 200 for Recent and 500
	// for RecentAll, a negative Limit no limit.
	Limit int
}

// normalize applies the defaults; a Limit of 0 after it means no limit.
func (q Query) normalize(defLimit int) (Query, error) {
	if q.Days < 0 {
		return q, fmt.Errorf("%w: days %d must not be negative", ErrInvalidQuery, q.Days)
	}
	if q.Days == 0 {
		q.Days = defaultDays
	}
	q.Days = min(q.Days, maxDays)
	switch {
	case q.Limit == 0:
		q.Limit = defLimit
	case q.Limit < 0:
		q.Limit = 0
	}
	return q, nil
}

// Option configures a Reader.
type Option interface{ apply(*Reader) }

type optionFunc func(*Reader)

func (f optionFunc) apply(r *Reader) { f(r) }

// WithLocation sets the location that decides what "today" is and how a ts
// without UTC offset is read (default time.Local). Use the exporter's.
func WithLocation(loc *time.Location) Option {
	return optionFunc(func(r *Reader) {
		if loc != nil {
			r.loc = loc
		}
	})
}

// WithClock sets the clock that decides what "today" is (default time.Now).
func WithClock(now func() time.Time) Option {
	return optionFunc(func(r *Reader) {
		if now != nil {
			r.now = now
		}
	})
}

// WithMaxLineBytes sets the longest line read; longer lines are skipped
// (default 16 MiB).
func WithMaxLineBytes(n int) Option {
	return optionFunc(func(r *Reader) {
		if n > 0 {
			r.maxLine = n
		}
	})
}

// WithMaxDisorder sets how far out of ts order a user's lines may be in
// their files for RecentAll to still merge them exactly in order (default
// 2 s): a line's ts up to d newer than a line after it. Writers append in
// the order calls end, which at whole-second timestamps is up to a second
// out; 0 trusts the file order; a negative d is ignored.
func WithMaxDisorder(d time.Duration) Option {
	return optionFunc(func(r *Reader) {
		if d >= 0 {
			r.disorder = d
		}
	})
}

// Reader reads the audit files under a root. It holds no open files and is
// safe for concurrent use.
type Reader struct {
	root     string
	loc      *time.Location
	now      func() time.Time
	maxLine  int
	disorder time.Duration
}

// New returns a Reader of the files under root.
func New(root string, opts ...Option) *Reader {
	r := &Reader{root: root, loc: time.Local, now: time.Now, maxLine: defaultMaxLine, disorder: defaultMaxDisorder}
	for _, o := range opts {
		if o != nil {
			o.apply(r)
		}
	}
	return r
}

// openRoot opens the root; nil without error when it does not exist.
func (r *Reader) openRoot() (*tree, error) {
	root, err := openTree(r.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("toolaudit: opening audit root: %w", err)
	}
	return root, nil
}

// today is the reader's current date, at noon so day arithmetic is safe
// across DST changes.
func (r *Reader) today() time.Time {
	y, m, d := r.now().In(r.loc).Date()
	return time.Date(y, m, d, 12, 0, 0, 0, r.loc)
}

// Users returns, sorted, the users that have at least one day file,
// including the exporter's reserved "@unattributed" when it has files. A
// user whose folder cannot be listed is left out and reported by a
// *UserError, returned beside the others (joined with errors.Join).
func (r *Reader) Users(ctx context.Context) ([]string, error) {
	root, err := r.openRoot()
	if root == nil {
		return nil, err
	}
	defer root.Close()
	names, err := r.candidates(ctx, root)
	if err != nil {
		return nil, err
	}
	var users []string
	var errs []error
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return users, errors.Join(append(errs, err)...)
		}
		days, err := r.days(root, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(days) > 0 {
			users = append(users, name)
		}
	}
	return users, errors.Join(errs...)
}

// candidates returns, sorted, the names under the root that are valid user
// names (or the reserved "@unattributed").
func (r *Reader) candidates(ctx context.Context, root *tree) ([]string, error) {
	dir, err := root.Open(".")
	if err != nil {
		return nil, fmt.Errorf("toolaudit: listing audit root: %w", err)
	}
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return nil, fmt.Errorf("toolaudit: listing audit root: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names = slices.DeleteFunc(names, func(n string) bool { return layout.ValidateUser(n) != nil })
	slices.Sort(names)
	return names, nil
}

// Days returns, oldest first, the days (YYYY-MM-DD) for which user has a
// file. A folder that cannot be listed is a *UserError.
func (r *Reader) Days(ctx context.Context, user string) ([]string, error) {
	if err := layout.ValidateUser(user); err != nil {
		return nil, err
	}
	root, err := r.openRoot()
	if root == nil {
		return nil, err
	}
	defer root.Close()
	return r.days(root, user)
}

func (r *Reader) days(root *tree, user string) ([]string, error) {
	d, err := openUserDir(root, user)
	if d == nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if errors.Is(err, syscall.ENOTDIR) {
		return nil, nil // a file (or FIFO) where the folder would be: no days
	}
	if err != nil {
		return nil, &UserError{User: user, Err: fileError("listing", layout.UserDir(user), err)}
	}
	var days []string
	for _, n := range names {
		day, ok := strings.CutSuffix(n, layout.Ext)
		if !ok {
			continue
		}
		if _, err := layout.ParseDay(day, r.loc); err == nil {
			days = append(days, day)
		}
	}
	slices.Sort(days)
	return days, nil
}

// Recent yields user's newest entries across the last q.Days days counting
// today, newest first (reverse file order within a day), at most q.Limit,
// reading each file backwards as far as the caller iterates. A day file (or
// the folder) that cannot be read is yielded as a *UserError and iteration
// goes on; any other error (an invalid user, ctx done) ends it.
func (r *Reader) Recent(ctx context.Context, user string, q Query) iter.Seq2[record.Entry, error] {
	return func(yield func(record.Entry, error) bool) {
		q, err := q.normalize(defaultLimit)
		if err == nil {
			err = layout.ValidateUser(user)
		}
		if err != nil {
			yield(record.Entry{}, err)
			return
		}
		root, ok := r.openFor(yield)
		if !ok {
			return
		}
		defer root.Close()
		s := r.newStream(root, user, q.Days)
		defer s.close()
		for n := 0; q.Limit == 0 || n < q.Limit; n++ {
			e, ok, err := s.next(ctx)
			if err != nil {
				if !yield(record.Entry{}, err) || !isUserError(err) {
					return
				}
				n--
				continue
			}
			if !ok || !yield(e, nil) {
				return
			}
		}
	}
}

// openFor opens the root for an iterator: false when there is nothing to
// read, a missing root, or after yielding the error that ends iteration.
func (r *Reader) openFor(yield func(record.Entry, error) bool) (*tree, bool) {
	root, err := r.openRoot()
	if root == nil && err != nil {
		yield(record.Entry{}, err)
	}
	return root, root != nil
}

// Collect gathers the entries of a Recent, RecentAll or Day iteration,
// going on past each *UserError and stopping at any other error. It returns
// what it gathered and the errors met, joined with errors.Join.
func Collect(seq iter.Seq2[record.Entry, error]) ([]record.Entry, error) {
	var out []record.Entry
	var errs []error
	for e, err := range seq {
		if err != nil {
			if errs = append(errs, err); !isUserError(err) {
				break
			}
			continue
		}
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

package s3ship

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/record"
)

// RecentAll yields the newest entries across users, newest first by ts
// (ties: users by name, then each user's Recent order), at most q.Limit
// (0: 500; negative: all), as package reader's RecentAll.
func (r *Reader) RecentAll(ctx context.Context, q reader.Query) iter.Seq2[record.Entry, error] {
	return func(yield func(record.Entry, error) bool) {
		if q.Days < 0 {
			yield(record.Entry{}, fmt.Errorf("%w: days %d must not be negative", reader.ErrInvalidQuery, q.Days))
			return
		}
		limit := cmpOr(q.Limit, 500)
		users, err := r.Users(ctx)
		if err != nil {
			yield(record.Entry{}, err)
			return
		}
		h := &userHeads{}
		for rank, u := range users {
			next, stop := iter.Pull2(r.Recent(ctx, u, reader.Query{Days: q.Days, Limit: cmpOr(limit, -1)}))
			defer stop()
			uh := &userHead{rank: rank, next: next}
			if ok, err := uh.advance(); err != nil {
				yield(record.Entry{}, err)
				return
			} else if ok {
				h.h = append(h.h, uh)
			}
		}
		heap.Init(h)
		var out []record.Entry
		for h.Len() > 0 && (limit == 0 || len(out) < limit) {
			uh := h.h[0]
			out = append(out, uh.e)
			if limit == 0 {
				if !yield(uh.e, nil) {
					return
				}
				out = out[:0]
			}
			ok, err := uh.advance()
			if err != nil {
				yield(record.Entry{}, err)
				return
			}
			if ok {
				heap.Fix(h, 0)
			} else {
				heap.Pop(h)
			}
		}
		newestFirst := func(a, b record.Entry) int { return b.Time.Compare(a.Time) }
		slices.SortStableFunc(out, newestFirst)
		for _, e := range out {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Follow yields the entries of the objects stored after it is called for
// today's day of users (every user, also later ones, when users is empty),
// like tail -f, until ctx is done or the caller stops. It lists every poll
// (0 means 5 s; at least 1 s, as each poll costs a listing per user);
// each poll's new objects are merged by ts. Errors are yielded and
// following goes on; an invalid user ends it. Lines written late to a day
// that is over are not followed.
func (r *Reader) Follow(ctx context.Context, poll time.Duration, users ...string) iter.Seq2[record.Entry, error] {
	return func(yield func(record.Entry, error) bool) {
		for _, u := range users {
			if _, err := r.Days(ctx, u); errors.Is(err, reader.ErrInvalidUser) {
				yield(record.Entry{}, err)
				return
			}
		}
		if poll <= 0 {
			poll = 5 * time.Second
		}
		poll = max(poll, time.Second)
		seen := map[string]bool{} // objects of day already read, or there at the start
		day, first := "", true
		for {
			if today := r.now().In(r.loc).Format("2006-01-02"); today != day {
				day, seen = today, map[string]bool{}
			}
			us := users
			if len(us) == 0 {
				var err error
				if us, err = r.Users(ctx); err != nil && !yield(record.Entry{}, err) {
					return
				}
			}
			for _, u := range us {
				hosts, err := r.hosts(ctx, u, day)
				if err != nil {
					if ctx.Err() != nil || !yield(record.Entry{}, err) {
						return
					}
					continue
				}
				var its []lineIter
				for _, parts := range hosts {
					var fresh []part
					for _, p := range parts {
						if !seen[p.key] {
							seen[p.key] = true
							fresh = append(fresh, p)
						}
					}
					if !first {
						its = append(its, &forward{r: r, ctx: ctx, parts: fresh})
					}
				}
				if _, more := r.merge(its, false, 0, yield); !more {
					return
				}
			}
			first = false
			select {
			case <-ctx.Done():
				return
			case <-time.After(poll):
			}
		}
	}
}

type userHead struct {
	e    record.Entry
	rank int
	pos  int
	next func() (record.Entry, error, bool)
}

func (u *userHead) advance() (bool, error) {
	e, err, ok := u.next()
	if !ok {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	u.e = e
	u.pos++
	return true, nil
}

type userHeads struct{ h []*userHead }

func (h userHeads) Len() int { return len(h.h) }
func (h userHeads) Less(i, j int) bool {
	a, b := h.h[i], h.h[j]
	if !a.e.Time.Equal(b.e.Time) {
		return a.e.Time.After(b.e.Time)
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}
func (h userHeads) Swap(i, j int) { h.h[i], h.h[j] = h.h[j], h.h[i] }
func (h *userHeads) Push(x any)   { h.h = append(h.h, x.(*userHead)) }
func (h *userHeads) Pop() any {
	x := h.h[len(h.h)-1]
	h.h = h.h[:len(h.h)-1]
	return x
}

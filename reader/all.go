package reader

import (
	"container/heap"
	"context"
	"iter"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/toolaudit/toolaudit/record"
)

// RecentAll yields the newest entries across all users, newest first by
// ts, at most q.Limit, from the last q.Days days: the reference module's
// result, which takes each user's q.Limit newest entries and sorts them
// all by ts (ties: users by name, then reverse file order). It reads about
// as many lines as it yields (see the package doc). A user whose folder or
// day file cannot be read is yielded as a *UserError and the others go on;
// any other error ends iteration.
func (r *Reader) RecentAll(ctx context.Context, q Query) iter.Seq2[record.Entry, error] {
	return func(yield func(record.Entry, error) bool) {
		q, err := q.normalize(defaultLimitAll)
		if err != nil {
			yield(record.Entry{}, err)
			return
		}
		if q.Limit == 0 {
			for e, err := range r.recentAll(ctx, q.Days, 0) {
				if !yield(e, err) {
					return
				}
			}
			return
		}
		// At most q.Limit entries: gathered, so that a line further out of
		// order than allowed can still be sorted into place.
		var out []record.Entry
		for e, err := range r.recentAll(ctx, q.Days, q.Limit) {
			if err != nil {
				if !yield(e, err) {
					return
				}
				continue
			}
			if out = append(out, e); len(out) == q.Limit {
				break
			}
		}
		newestFirst := func(a, b record.Entry) int { return b.Time.Compare(a.Time) }
		if !slices.IsSortedFunc(out, newestFirst) {
			slices.SortStableFunc(out, newestFirst)
		}
		for _, e := range out {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// maxAhead bounds the entries RecentAll reads ahead in one user's
// stream, so that a burst of calls in the same second does not fill memory.
const maxAhead = 1024

// recentAll is the merge of RecentAll over days days, reading at most
// perUser entries of each user when perUser > 0.
func (r *Reader) recentAll(ctx context.Context, days, perUser int) iter.Seq2[record.Entry, error] {
	return func(yield func(record.Entry, error) bool) {
		root, ok := r.openFor(yield)
		if !ok {
			return
		}
		defer root.Close()
		// Every valid folder name is a candidate: a user without files just
		// yields nothing, which is cheaper than listing each user's folder.
		users, err := r.candidates(ctx, root)
		if err != nil {
			yield(record.Entry{}, err)
			return
		}
		h := make(mergeHeap, 0, len(users))
		defer func() {
			for _, it := range h {
				it.s.close()
			}
		}()
		heads, refused, err := r.heads(ctx, root, users, days)
		if err != nil {
			yield(record.Entry{}, err)
			return
		}
		ahead := maxAhead
		if perUser > 0 {
			ahead = perUser // reads stop there anyway
		}
		for _, it := range heads {
			if it != nil {
				it.maxRead, it.maxAhead, it.disorder = perUser, ahead, r.disorder
				it.settle()
				h = append(h, it)
			}
		}
		for _, err := range refused {
			if !yield(record.Entry{}, err) {
				return
			}
		}
		heap.Init(&h)
		for len(h) > 0 {
			top := h[0]
			if top.ready {
				if !yield(top.pop(), nil) {
					return
				}
			} else if err := top.readAhead(ctx); err != nil {
				if !yield(record.Entry{}, err) || !isUserError(err) {
					return
				}
			}
			if top.done && top.head == len(top.ahead) {
				heap.Pop(&h)
				continue
			}
			top.settle()
			heap.Fix(&h, 0)
		}
	}
}

// heads opens each user's stream and reads its newest entry, on several
// goroutines: the merge's start is one open and one read per user, system
// calls that overlap well. It returns an item per user, nil for a user
// without entries, and the *UserError values met on the way, in user
// order; or, with every stream closed, the first other error (ctx done).
func (r *Reader) heads(ctx context.Context, root *tree, users []string, days int) ([]*mergeItem, []error, error) {
	items := make([]*mergeItem, len(users))
	errs := make([]error, len(users))
	refused := make([][]error, len(users))
	streams := make([]*stream, len(users))
	for i, u := range users {
		streams[i] = r.newStream(root, u, days)
	}
	var nextUser atomic.Int64
	var failed atomic.Bool
	work := func() {
		for !failed.Load() {
			i := int(nextUser.Add(1)) - 1
			if i >= len(users) {
				return
			}
			s := streams[i]
			for {
				e, ok, err := s.next(ctx)
				switch {
				case isUserError(err):
					refused[i] = append(refused[i], err)
					continue // the stream skipped what it could not read
				case err != nil:
					errs[i] = err
					failed.Store(true)
					s.close()
				case ok:
					items[i] = newMergeItem(s, i, e)
				default:
					s.close()
				}
				break
			}
		}
	}
	var wg sync.WaitGroup
	for range min(len(users)/8+1, headWorkers) {
		wg.Go(work)
	}
	wg.Wait()
	if failed.Load() {
		for _, it := range items {
			if it != nil {
				it.s.close()
			}
		}
		for _, err := range errs {
			if err != nil {
				return nil, nil, err
			}
		}
	}
	return items, slices.Concat(refused...), nil
}

// headWorkers is how many goroutines open users' files at once.
const headWorkers = 8

// mergeItem is one user's stream in the merge: the entries read from it and
// not yet yielded, and what its unread entries can still be.
type mergeItem struct {
	s        *stream
	rank     int       // the user's position by name: the tie-break
	ahead    []pending // ahead[head:] are read, not yielded; newest first, then by pos
	head     int
	first    [2]pending // ahead's first backing array: most users need no more
	oldest   time.Time  // the oldest valid ts read so far; zero if none
	read     int        // entries read: the pos of the next one
	done     bool       // nothing more to read
	maxRead  int        // entries to read at most; 0: no limit
	maxAhead int        // entries to hold at most
	disorder time.Duration

	// The item's key in the heap: the newest entry it can still yield. It
	// is ahead[0] when ready; otherwise an unread entry could be as new as
	// oldest+disorder, and must be read before anything older is yielded.
	ts    time.Time
	pos   int
	ready bool
}

type pending struct {
	e   record.Entry
	pos int // position in the user's newest-first stream
}

func newMergeItem(s *stream, rank int, e record.Entry) *mergeItem {
	it := &mergeItem{s: s, rank: rank, oldest: e.Time, read: 1}
	it.first[0].e = e
	it.ahead = it.first[:1]
	return it
}

// pop removes and returns the newest entry read.
func (it *mergeItem) pop() record.Entry {
	e := it.ahead[it.head].e
	it.ahead[it.head] = pending{}
	if it.head++; it.head == len(it.ahead) {
		it.ahead, it.head = it.ahead[:0], 0
	}
	return e
}

// settle sets the item's key after a change.
func (it *mergeItem) settle() {
	if n := len(it.ahead) - it.head; n > 0 {
		top := it.ahead[it.head]
		if it.done || n >= it.maxAhead || !top.e.Time.Before(it.bound()) {
			it.ts, it.pos, it.ready = top.e.Time, top.pos, true
			return
		}
	}
	it.ts, it.pos, it.ready = it.bound(), math.MaxInt, false
}

// bound is the newest an unread entry can be: disorder past the oldest ts
// read, or anything while no valid ts has been read.
func (it *mergeItem) bound() time.Time {
	if it.oldest.IsZero() {
		return unknown
	}
	return it.oldest.Add(it.disorder)
}

// unknown is later than any ts.
var unknown = time.Unix(1<<62, 0)

// readAhead reads the stream's next entry into ahead, after those at least
// as new (the stream's order breaks ties).
func (it *mergeItem) readAhead(ctx context.Context) error {
	if it.maxRead > 0 && it.read >= it.maxRead {
		it.done = true
		it.s.close()
		return nil
	}
	e, ok, err := it.s.next(ctx)
	if err != nil {
		return err
	}
	if !ok {
		it.done = true
		it.s.close()
		return nil
	}
	if len(it.ahead) == cap(it.ahead) && it.head > 0 {
		// Reuse the room of the entries yielded.
		n := copy(it.ahead, it.ahead[it.head:])
		clear(it.ahead[n:])
		it.ahead, it.head = it.ahead[:n], 0
	}
	i := len(it.ahead)
	for i > it.head && it.ahead[i-1].e.Time.Before(e.Time) {
		i--
	}
	it.ahead = slices.Insert(it.ahead, i, pending{e: e, pos: it.read})
	it.read++
	// A line without a valid ts (a zero Time, sorted last) says nothing of
	// how new the lines after it can be.
	if it.oldest.IsZero() || !e.Time.IsZero() && e.Time.Before(it.oldest) {
		it.oldest = e.Time
	}
	return nil
}

// mergeHeap orders items by key: newest first, then by user rank, then by
// position in the user's stream.
type mergeHeap []*mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.ts.Equal(b.ts) {
		return a.ts.After(b.ts)
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

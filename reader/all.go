package reader

import (
	"container/heap"
	"context"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/toolaudit/toolaudit"
)

// RecentAll returns the newest entries across all users, newest
// first by ts compared as times, at most q.Limit, from the last q.Days days.
// Entries with the same ts keep the reference module's order: users by
// name, then each user's newest-first order.
//
// It is a k-way merge of each user's newest-first stream that stops once
// it has q.Limit entries, so it reads about q.Limit lines, not every file.
// The merge assumes each user's file order is the order of their ts, which
// holds for files the exporter or the reference module wrote.
func (r *Reader) RecentAll(ctx context.Context, q Query) ([]toolaudit.Entry, error) {
	q, err := q.normalize(DefaultLimitAll)
	if err != nil {
		return nil, err
	}
	return collect(r.IterRecentAll(ctx, q.Days), q.Limit)
}

// IterRecentAll yields the entries of all users across the last days days
// (0 means DefaultDays), newest first as RecentAll orders them, reading as
// far as the caller iterates. A read error is yielded once, and iteration
// ends.
func (r *Reader) IterRecentAll(ctx context.Context, days int) iter.Seq2[toolaudit.Entry, error] {
	return func(yield func(toolaudit.Entry, error) bool) {
		q, err := Query{Days: days}.normalize(1)
		if err != nil {
			yield(toolaudit.Entry{}, err)
			return
		}
		root, err := r.openRoot()
		if root == nil {
			if err != nil {
				yield(toolaudit.Entry{}, err)
			}
			return
		}
		defer root.Close()
		// Every valid folder name is a candidate: a user without files just
		// yields nothing, which is cheaper than listing each user's folder.
		users, err := r.candidates(ctx, root)
		if err != nil {
			yield(toolaudit.Entry{}, err)
			return
		}
		h := make(mergeHeap, 0, len(users))
		defer func() {
			for _, it := range h {
				it.s.close()
			}
		}()
		heads, err := r.heads(ctx, root, users, q.Days)
		if err != nil {
			yield(toolaudit.Entry{}, err)
			return
		}
		for _, it := range heads {
			if it != nil {
				h = append(h, it)
			}
		}
		heap.Init(&h)
		for len(h) > 0 {
			top := h[0]
			if !yield(top.e, nil) {
				return
			}
			e, ok, err := top.s.next(ctx)
			if err != nil {
				yield(toolaudit.Entry{}, err)
				return
			}
			if ok {
				top.e = e
				heap.Fix(&h, 0)
			} else {
				top.s.close()
				heap.Pop(&h)
			}
		}
	}
}

// heads opens each user's stream and reads its newest entry, on several
// goroutines: the merge's start is one open and one read per user, system
// calls that overlap well. It returns an item per user, nil for a user
// without entries; or, with every stream closed, the error of the first
// user in order whose read failed (the others stop at their next user).
func (r *Reader) heads(ctx context.Context, root *tree, users []string, days int) ([]*mergeItem, error) {
	items := make([]*mergeItem, len(users))
	errs := make([]error, len(users))
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
			e, ok, err := s.next(ctx)
			switch {
			case err != nil:
				errs[i] = err
				failed.Store(true)
				s.close()
			case ok:
				items[i] = &mergeItem{e: e, rank: i, s: s}
			default:
				s.close()
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
				return nil, err
			}
		}
	}
	return items, nil
}

// headWorkers is how many goroutines open users' files at once.
const headWorkers = 8

type mergeItem struct {
	e    toolaudit.Entry
	rank int // the user's position in Users: the tie-break
	s    *stream
}

// mergeHeap orders items newest first, then by user rank.
type mergeHeap []*mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.e.Time.Equal(b.e.Time) {
		return a.e.Time.After(b.e.Time)
	}
	return a.rank < b.rank
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

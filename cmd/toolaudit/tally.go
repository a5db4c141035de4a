package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/record"
)

// tally is what `toolaudit stats` and the web view's stats page summarise
// of a period: one reading, so that the two always agree.
type tally struct {
	calls, errors, denied   int
	tools                   []*toolStats // by calls, then name; percentiles filled
	statuses, users, models map[string]int
	perDay                  map[string]map[record.Status]int // by the ts's day, in from's location
}

// aggregate reads the calls of users whose ts is in [from, to) and that
// keep accepts (nil keeps all). Day files are named by the writer's local
// day, so a day on each side of the period is read too, and the ts decides.
// Each refused user or file goes to warn, whose error stops the reading.
func aggregate(ctx context.Context, r auditReader, users []string, from, to time.Time,
	keep func(*record.Entry) bool, warn func(error) error) (*tally, error) {
	t := &tally{statuses: map[string]int{}, users: map[string]int{}, models: map[string]int{},
		perDay: map[string]map[record.Status]int{}}
	var days []string
	for d := from.AddDate(0, 0, -1); !d.After(to.AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format("2006-01-02"))
	}
	tools := map[string]*toolStats{}
	for _, u := range users {
		// Only the days the user has: a refused folder is one warning, not
		// one per day.
		has, err := r.Days(ctx, u)
		if err := warn(err); err != nil {
			return nil, err
		}
		for _, day := range days {
			if _, ok := slices.BinarySearch(has, day); !ok {
				continue
			}
			for e, err := range r.Day(ctx, u, day) {
				if err != nil {
					if err := warn(err); err != nil {
						return nil, err
					}
					continue
				}
				if e.Time.Before(from) || !e.Time.Before(to) || keep != nil && !keep(&e) {
					continue
				}
				t.add(&e, tools, from.Location())
			}
		}
	}
	for _, ts := range tools {
		if len(ts.durs) > 0 {
			slices.Sort(ts.durs)
			p50, p95, top := percentile(ts.durs, 50), percentile(ts.durs, 95), ts.durs[len(ts.durs)-1]
			ts.P50, ts.P95, ts.Max = &p50, &p95, &top
		}
		t.tools = append(t.tools, ts)
	}
	slices.SortFunc(t.tools, func(x, y *toolStats) int {
		if x.Calls != y.Calls {
			return y.Calls - x.Calls
		}
		return strings.Compare(x.Tool, y.Tool)
	})
	return t, nil
}

func (t *tally) add(e *record.Entry, tools map[string]*toolStats, loc *time.Location) {
	t.calls++
	ts := tools[e.Tool]
	if ts == nil {
		ts = &toolStats{Tool: e.Tool}
		tools[e.Tool] = ts
	}
	ts.Calls++
	switch e.Status {
	case record.StatusError:
		ts.Errors++
		t.errors++
	case record.StatusDenied:
		ts.Denied++
		t.denied++
	}
	if e.Duration >= 0 {
		ts.durs = append(ts.durs, float64(e.Duration.Microseconds())/1000)
	}
	t.statuses[string(e.Status)]++
	t.users[e.User]++
	t.models[e.Engine+"/"+e.Model]++
	day := e.Time.In(loc).Format("2006-01-02")
	if t.perDay[day] == nil {
		t.perDay[day] = map[record.Status]int{}
	}
	t.perDay[day][e.Status]++
}

// dayCount is the calls of day, all statuses.
func (t *tally) dayCount(day string) int {
	n := 0
	for _, c := range t.perDay[day] {
		n += c
	}
	return n
}

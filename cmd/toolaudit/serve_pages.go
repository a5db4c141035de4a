package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/record"
)

// pageSize is the number of calls on a page of a list.
const pageSize = 50

// usersTodayCap bounds the calls of today counted per user on the users
// page: the count reads back from the end of today's file, and a user with
// more shows "50+" instead of reading on.
const usersTodayCap = 50

// usersParallel is how many users the users page reads at once: the work
// is mostly waiting for the file system.
const usersParallel = 2

type userRow struct {
	User                  string
	Days                  int
	Last                  string
	Calls, Errors, Denied int
	More                  bool // more calls than counted
}

func (s *server) users(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.now()
	var warns []string
	users, err := s.r.Users(ctx)
	if warns, err = userWarnings(warns, err); err != nil {
		s.fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	rows := make([]userRow, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(usersParallel, len(users)) {
		wg.Go(func() {
			for i := range next {
				rows[i], errs[i] = s.userRow(ctx, users[i], now)
			}
		})
	}
	for i := range users {
		next <- i
	}
	close(next)
	wg.Wait()
	shown := rows[:0]
	for i, row := range rows {
		if warns, err = userWarnings(warns, errs[i]); err != nil {
			s.fail(w, http.StatusInternalServerError, err.Error())
			return
		}
		if row.Days > 0 {
			shown = append(shown, row)
		}
	}
	s.render(w, http.StatusOK, "users", page{Title: "Users", Nav: "users", Warnings: warns, Data: shown})
}

// userRow reads the user's day list and back from the end of the newest
// file: the last entry and, when that file is today's, today's calls, at
// most usersTodayCap of them.
func (s *server) userRow(ctx context.Context, u string, now time.Time) (userRow, error) {
	row := userRow{User: u}
	days, err := s.r.Days(ctx, u)
	if len(days) == 0 {
		return row, err
	}
	row.Days = len(days)
	newest, perr := time.ParseInLocation("2006-01-02", days[len(days)-1], now.Location())
	if perr != nil {
		return row, errors.Join(err, perr)
	}
	q := reader.Query{Days: daysSince(newest, now), Limit: 1}
	today := q.Days == 1
	if today {
		q.Limit = usersTodayCap + 1
	}
	errs := []error{err}
	for e, rerr := range s.r.Recent(ctx, u, q) {
		if rerr != nil {
			errs = append(errs, rerr)
			continue
		}
		if row.Last == "" && !e.Time.IsZero() {
			row.Last = e.Time.Format(record.TimeLayout)
		}
		if !today {
			continue
		}
		if row.Calls == usersTodayCap {
			row.More = true
			break
		}
		row.Calls++
		switch e.Status {
		case record.StatusError:
			row.Errors++
		case record.StatusDenied:
			row.Denied++
		}
	}
	return row, errors.Join(errs...)
}

// userWarnings adds the refused users that err holds to warns, one line
// each, and returns the other errors, joined.
func userWarnings(warns []string, err error) ([]string, error) {
	refused, others := splitUserErrors(err)
	for _, e := range refused {
		warns = append(warns, oneLine(e.Error()))
	}
	return warns, others
}

// listData is what the recent and day pages show.
type listData struct {
	User     string
	Day      string // the day page's day
	Form     formValues
	Calls    []callView
	Page     int
	PrevHref string
	NextHref string
	Days     []string // the user's days, newest first (day links)
}

func (s *server) recent(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	s.list(w, r, user, "", func(ctx context.Context, f *formValues) readSeq {
		return s.r.Recent(ctx, user, reader.Query{Days: f.days, Limit: -1})
	})
}

func (s *server) day(w http.ResponseWriter, r *http.Request) {
	user, day := r.PathValue("user"), r.PathValue("day")
	s.list(w, r, user, day, func(ctx context.Context, _ *formValues) readSeq {
		return s.r.Day(ctx, user, day)
	})
}

// list shows one page of the entries of seq that pass the form's filters,
// reading no further than the page needs (and one more entry, to know
// whether there is a next page).
func (s *server) list(w http.ResponseWriter, r *http.Request, user, day string, read func(context.Context, *formValues) readSeq) {
	ctx := r.Context()
	days, err := s.r.Days(ctx, user)
	if errors.Is(err, reader.ErrInvalidUser) {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	warns, err := userWarnings(nil, err)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	if day != "" {
		if _, err := time.Parse("2006-01-02", day); err != nil || len(day) != 10 {
			s.fail(w, http.StatusBadRequest, fmt.Sprintf("%v %q: want a real date, YYYY-MM-DD", reader.ErrInvalidDay, day))
			return
		}
	}
	now := s.now()
	f, err := parseForm(r.URL.Query(), now)
	if err != nil {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	d := listData{User: user, Day: day, Form: f, Page: f.page}
	skip, more := (f.page-1)*pageSize, false
	for e, err := range read(ctx, &f) {
		if err != nil {
			if errors.Is(err, reader.ErrInvalidDay) || errors.Is(err, reader.ErrInvalidUser) {
				s.fail(w, http.StatusBadRequest, err.Error())
				return
			}
			if warns, err = userWarnings(warns, err); err != nil {
				s.fail(w, http.StatusInternalServerError, err.Error())
				return
			}
			continue
		}
		if !f.filter.match(&e) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(d.Calls) == pageSize {
			more = true
			break
		}
		d.Calls = append(d.Calls, s.view(&e))
	}
	base := "/u/" + url.PathEscape(user)
	if day != "" {
		base += "/" + day
	}
	if f.page > 1 {
		d.PrevHref = base + "?" + f.encode(f.page-1)
	}
	if more {
		d.NextHref = base + "?" + f.encode(f.page+1)
	}
	for i := len(days) - 1; i >= 0 && len(d.Days) < 31; i-- {
		d.Days = append(d.Days, days[i])
	}
	name, title := "recent", "Recent calls of "+sanitize(user)
	if day != "" {
		name, title = "day", sanitize(user)+" on "+day
	}
	s.render(w, http.StatusOK, name, page{Title: title, Nav: "users", Warnings: warns, Data: d})
}

// callData is what the call page shows.
type callData struct {
	User  string
	Calls []callDetail
}

// callDisorder is how far apart in time a line may be written from its
// neighbours: the call page looks that far around its ts.
const callDisorder = time.Minute

// servedDays is how far back the pages read, counting today (as the
// reader's Query caps Days).
const servedDays = 3660

// call shows the entries of user with the ts, tool, call id and span id of
// the query. Its cost does not depend on the ts: it reads the day file of
// the ts (and the neighbouring day's when the ts is within callDisorder of
// midnight), whole: a line's ts is when its call started, so a long call
// is written after shorter ones that started later, and no line says that
// the rest of the file is past the ts. A ts out of the period served is a
// 404 without reading.
func (s *server) call(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := r.PathValue("user")
	q := r.URL.Query()
	ts, err := time.Parse(time.RFC3339Nano, q.Get("ts"))
	if err != nil {
		s.fail(w, http.StatusBadRequest, fmt.Sprintf("invalid ts %q: want an RFC 3339 time", q.Get("ts")))
		return
	}
	tool, id, span := q.Get("tool"), q.Get("id"), q.Get("span")
	notFound := fmt.Sprintf("no call of %s at %s with tool %s", sanitize(user), ts.Format(time.RFC3339Nano), cut(sanitize(tool), 100))
	days, err := s.r.Days(ctx, user)
	if errors.Is(err, reader.ErrInvalidUser) {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	warns, err := userWarnings(nil, err)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	now := s.now()
	loc := now.Location()
	lo, hi := ts.Add(-callDisorder), ts.Add(callDisorder)
	y, m, d := now.AddDate(0, 0, -(servedDays - 1)).Date()
	if hi.Before(time.Date(y, m, d, 0, 0, 0, 0, loc)) || lo.After(now) {
		s.fail(w, http.StatusNotFound, notFound+": out of the period served")
		return
	}
	dl := callData{User: user}
	readDays := []string{lo.In(loc).Format("2006-01-02")}
	if last := hi.In(loc).Format("2006-01-02"); last != readDays[0] {
		readDays = append(readDays, last)
	}
	for _, day := range readDays {
		if _, ok := slices.BinarySearch(days, day); !ok {
			continue
		}
		for e, err := range s.r.Day(ctx, user, day) {
			if err != nil {
				if warns, err = userWarnings(warns, err); err != nil {
					s.fail(w, http.StatusInternalServerError, err.Error())
					return
				}
				continue
			}
			if e.Time.Equal(ts) && e.Tool == tool && e.CallID == id && e.SpanID == span {
				dl.Calls = append(dl.Calls, s.detail(&e))
			}
		}
	}
	if len(dl.Calls) == 0 && len(warns) == 0 {
		s.fail(w, http.StatusNotFound, notFound)
		return
	}
	s.render(w, http.StatusOK, "call", page{Title: "Call of " + sanitize(tool), Nav: "users", Warnings: warns, Data: dl})
}

package main

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// formValues are the filters of the recent and day pages, from the query.
type formValues struct {
	Tool, Engine, Model, Text, Since, Until string
	Status                                  map[string]bool
	Days                                    string
	Back                                    int // the days read back, counting today

	filter filter
	days   int
	page   int
}

func parseForm(q url.Values, now time.Time) (formValues, error) {
	f := formValues{Tool: q.Get("tool"), Engine: q.Get("engine"), Model: q.Get("model"), Text: q.Get("text"),
		Since: q.Get("since"), Until: q.Get("until"), Days: q.Get("days"), Status: map[string]bool{}, page: 1}
	for _, st := range q["status"] {
		f.Status[st] = true
		f.filter.status = append(f.filter.status, st)
	}
	f.filter.tool, f.filter.engine, f.filter.model, f.filter.grep = f.Tool, f.Engine, f.Model, f.Text
	f.filter.since, f.filter.until = f.Since, f.Until
	if err := f.filter.prepare(now); err != nil {
		return f, err
	}
	f.days = 7
	if f.Days != "" {
		n, err := strconv.Atoi(f.Days)
		if err != nil || n < 1 || n > 3660 {
			return f, fmt.Errorf("invalid days %q: want a number of days from 1 to 3660", f.Days)
		}
		f.days = n
	} else if !f.filter.from.IsZero() {
		f.days = daysSince(f.filter.from, now)
	}
	f.Back = f.days
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100000 {
			return f, fmt.Errorf("invalid page %q: want a number from 1", p)
		}
		f.page = n
	}
	return f, nil
}

// encode is the query of the same filters at another page.
func (f formValues) encode(pg int) string {
	v := url.Values{}
	for k, s := range map[string]string{"tool": f.Tool, "engine": f.Engine, "model": f.Model, "text": f.Text, "since": f.Since, "until": f.Until, "days": f.Days} {
		if s != "" {
			v.Set(k, s)
		}
	}
	for _, st := range []string{"ok", "error", "denied"} {
		if f.Status[st] {
			v.Add("status", st)
		}
	}
	v.Set("page", strconv.Itoa(pg))
	return v.Encode()
}

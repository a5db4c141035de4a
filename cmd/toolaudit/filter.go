package main

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/spf13/cobra"
)

// filter is the filter flags of the reading commands.
type filter struct {
	users  []string
	tool   string
	status []string
	engine string
	model  string
	since  string
	until  string
	grep   string

	from, to time.Time // parsed since and until; zero when unset
}

func (f *filter) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.users, "user", nil, "only these users (repeat or separate with commas)")
	fl.StringVar(&f.tool, "tool", "", "only tools matching this glob (search*, *_file)")
	fl.StringSliceVar(&f.status, "status", nil, "only these statuses: ok, error, denied")
	fl.StringVar(&f.engine, "engine", "", "only this engine")
	fl.StringVar(&f.model, "model", "", "only this model")
	fl.StringVar(&f.since, "since", "", "only entries at or after: YYYY-MM-DD, RFC 3339 time or a duration ago (24h, 90m)")
	fl.StringVar(&f.until, "until", "", "only entries before: YYYY-MM-DD (the whole day included), RFC 3339 time or a duration ago")
	fl.StringVar(&f.grep, "grep", "", "only entries whose arguments or result snippet contain this text (case-insensitive)")
}

// prepare checks and parses the flags, at now.
func (f *filter) prepare(now time.Time) error {
	if _, err := path.Match(f.tool, ""); err != nil {
		return fmt.Errorf("invalid --tool pattern %q: %w", f.tool, err)
	}
	for _, s := range f.status {
		switch record.Status(s) {
		case record.StatusOK, record.StatusError, record.StatusDenied:
		default:
			return fmt.Errorf("invalid --status %q: want ok, error or denied", s)
		}
	}
	var err error
	if f.from, err = parseWhen(f.since, now, false); err != nil {
		return fmt.Errorf("invalid --since: %w", err)
	}
	if f.to, err = parseWhen(f.until, now, true); err != nil {
		return fmt.Errorf("invalid --until: %w", err)
	}
	f.grep = strings.ToLower(f.grep)
	return nil
}

// parseWhen reads a time flag; a day means its start, or with end the
// start of the next day.
func parseWhen(s string, now time.Time, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", s, now.Location()); err == nil && len(s) == 10 {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD), an RFC 3339 time or a duration such as 24h", s)
}

// match reports whether e passes every filter.
func (f *filter) match(e *record.Entry) bool {
	if len(f.users) > 0 && !slices.Contains(f.users, e.User) {
		return false
	}
	if f.tool != "" {
		if ok, _ := path.Match(f.tool, e.Tool); !ok {
			return false
		}
	}
	if len(f.status) > 0 && !slices.Contains(f.status, string(e.Status)) {
		return false
	}
	if f.engine != "" && e.Engine != f.engine || f.model != "" && e.Model != f.model {
		return false
	}
	if !f.from.IsZero() && e.Time.Before(f.from) || !f.to.IsZero() && !e.Time.Before(f.to) {
		return false
	}
	if f.grep != "" && !strings.Contains(strings.ToLower(string(e.Args)), f.grep) && !strings.Contains(strings.ToLower(e.ResultSnippet), f.grep) {
		return false
	}
	return true
}

// daysSince is how many days back, counting today, reach from.
func daysSince(from, now time.Time) int {
	y, m, d := from.In(now.Location()).Date()
	start := time.Date(y, m, d, 12, 0, 0, 0, now.Location())
	y, m, d = now.Date()
	today := time.Date(y, m, d, 12, 0, 0, 0, now.Location())
	return max(1, int(today.Sub(start).Hours()/24+0.5)+1)
}

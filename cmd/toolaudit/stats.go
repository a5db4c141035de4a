package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/spf13/cobra"
)

// toolStats is the summary of one tool's calls.
type toolStats struct {
	Tool   string `json:"tool"`
	Calls  int    `json:"calls"`
	Errors int    `json:"errors"`
	Denied int    `json:"denied"`
	// Nil (null) when no call of the tool has a duration: the reference
	// module writes none.
	P50  *float64  `json:"p50_ms"`
	P95  *float64  `json:"p95_ms"`
	Max  *float64  `json:"max_ms"`
	durs []float64 // calls without a duration are left out
}

type count struct {
	Key   string `json:"key"`
	Calls int    `json:"calls"`
}

// summary is what stats prints.
type summary struct {
	Since      string       `json:"since"`
	Until      string       `json:"until"`
	Calls      int          `json:"calls"`
	ErrorRate  float64      `json:"error_rate"`
	DenialRate float64      `json:"denial_rate"`
	Tools      []*toolStats `json:"tools"`
	Statuses   []count      `json:"statuses"`
	Users      []count      `json:"users"`
	Models     []count      `json:"engines_models"`
	Days       []count      `json:"days"`
}

func (a *app) statsCommand() *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Summarise calls over a period: per tool, status, user, engine and model, with durations and a chart per day",
		Example: `  toolaudit stats
  toolaudit stats --days 30 --user alice
  toolaudit stats --since 2026-11-01 --until 2026-11-15 -o json`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := a.env.now()
			if err := a.filter.prepare(now); err != nil {
				return err
			}
			if days < 1 {
				return fmt.Errorf("--days must be at least 1, got %d", days)
			}
			format, err := a.format()
			if err != nil {
				return err
			}
			from, to := a.filter.from, a.filter.to
			if from.IsZero() {
				y, m, d := now.AddDate(0, 0, -(days - 1)).Date()
				from = time.Date(y, m, d, 0, 0, 0, 0, now.Location())
			}
			if to.IsZero() {
				to = now
			}
			if !to.After(from) {
				return fmt.Errorf("empty period: --until %s is not after --since %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
			}
			s, err := a.summarise(cmd, from, to)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(a.env.stdout)
				enc.SetEscapeHTML(false)
				return enc.Encode(s)
			case "csv":
				w := newCSVWriter(a.env.stdout)
				w.w.Write([]string{"tool", "calls", "errors", "denied", "p50_ms", "p95_ms", "max_ms"})
				for _, t := range s.Tools {
					w.w.Write([]string{csvCell(t.Tool), fmt.Sprint(t.Calls), fmt.Sprint(t.Errors), fmt.Sprint(t.Denied), msOr(t.P50, ""), msOr(t.P95, ""), msOr(t.Max, "")})
				}
				return w.flush()
			}
			return a.printSummary(s)
		},
	}
	cmd.Flags().IntVar(&days, "days", 7, "days to summarise, counting today (unless --since is given)")
	a.filter.flags(cmd)
	return cmd
}

func (a *app) summarise(cmd *cobra.Command, from, to time.Time) (*summary, error) {
	ctx := cmd.Context()
	r, err := a.reader()
	if err != nil {
		return nil, err
	}
	users := a.filter.users
	if len(users) == 0 {
		users, err = r.Users(ctx)
		if err := a.warn(err); err != nil {
			return nil, err
		}
	}
	s := &summary{Since: from.Format(record.TimeLayout), Until: to.Format(record.TimeLayout)}
	t, err := aggregate(ctx, r, users, from, to, a.filter.match, a.warn)
	if err != nil {
		return nil, err
	}
	s.Calls, s.Tools = t.calls, t.tools
	if s.Calls > 0 {
		s.ErrorRate = float64(t.errors) / float64(s.Calls)
		s.DenialRate = float64(t.denied) / float64(s.Calls)
	}
	if s.Tools == nil {
		s.Tools = []*toolStats{} // [] in JSON, not null
	}
	s.Statuses, s.Users, s.Models = counts(t.statuses), counts(t.users), counts(t.models)
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		day := d.Format("2006-01-02")
		s.Days = append(s.Days, count{day, t.dayCount(day)})
	}
	return s, nil
}

// percentile is the nearest-rank percentile of sorted values, 0 if none.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// counts orders a tally by calls, then key.
func counts(m map[string]int) []count {
	out := make([]count, 0, len(m)) // [] in JSON when empty, not null
	for k, v := range m {
		out = append(out, count{k, v})
	}
	slices.SortFunc(out, func(x, y count) int {
		if x.Calls != y.Calls {
			return y.Calls - x.Calls
		}
		return strings.Compare(x.Key, y.Key)
	})
	return out
}

// msOr formats *v as ms does, or none when v is nil.
func msOr(v *float64, none string) string {
	if v == nil {
		return none
	}
	return ms(*v)
}

// ms formats milliseconds: three decimals below 10 ms, one above.
func ms(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func (a *app) printSummary(s *summary) error {
	w := a.env.stdout
	color, err := a.colored()
	if err != nil {
		return err
	}
	bold := func(t string) string {
		if color {
			return "\x1b[1m" + t + "\x1b[0m"
		}
		return t
	}
	fmt.Fprintf(w, "%s to %s: %d calls, error rate %.1f%%, denial rate %.1f%%\n\n", s.Since, s.Until, s.Calls, 100*s.ErrorRate, 100*s.DenialRate)
	fmt.Fprintln(w, bold(fmt.Sprintf("%-24s %7s %7s %7s %9s %9s %9s", "TOOL", "CALLS", "ERRORS", "DENIED", "P50 ms", "P95 ms", "MAX ms")))
	for _, t := range s.Tools {
		fmt.Fprintf(w, "%s %7d %7d %7d %9s %9s %9s\n", pad(cut(sanitize(t.Tool), 24), 24), t.Calls, t.Errors, t.Denied, msOr(t.P50, "-"), msOr(t.P95, "-"), msOr(t.Max, "-"))
	}
	for _, sec := range []struct {
		title string
		rows  []count
	}{{"STATUS", s.Statuses}, {"USER", s.Users}, {"ENGINE/MODEL", s.Models}} {
		fmt.Fprintln(w)
		fmt.Fprintln(w, bold(fmt.Sprintf("%-40s %7s", sec.title, "CALLS")))
		for _, c := range sec.rows {
			fmt.Fprintf(w, "%s %7d\n", pad(cut(sanitize(c.Key), 40), 40), c.Calls)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, bold("CALLS PER DAY"))
	return barChart(w, s.Days, 40)
}

// barChart draws one bar per day, the longest width cells wide.
func barChart(w io.Writer, days []count, width int) error {
	top := 0
	for _, d := range days {
		top = max(top, d.Calls)
	}
	for _, d := range days {
		n := 0
		if top > 0 {
			n = int(math.Round(float64(d.Calls) / float64(top) * float64(width)))
		}
		if d.Calls > 0 && n == 0 {
			n = 1
		}
		if _, err := fmt.Fprintf(w, "%s %s %d\n", d.Key, strings.Repeat("█", n), d.Calls); err != nil {
			return err
		}
	}
	return nil
}

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/spf13/cobra"

	"github.com/toolaudit/toolaudit/reader"
)

func (a *app) usersCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "users",
		Short:   "List the users with audit files, their number of days and their last entry",
		Example: "  toolaudit users\n  toolaudit users -o json",
		Args:    argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := a.format()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			r, err := a.reader()
			if err != nil {
				return err
			}
			users, err := r.Users(ctx)
			if err := a.warn(err); err != nil {
				return err
			}
			type row struct {
				User string `json:"user"`
				Days int    `json:"days"`
				Last string `json:"last_entry"`
			}
			var rows []row
			for _, u := range users {
				days, err := r.Days(ctx, u)
				if err := a.warn(err); err != nil {
					return err
				}
				if len(days) == 0 {
					continue // refused, or emptied meanwhile
				}
				last := ""
				// The newest entry: read back from today to the oldest day
				// file, past the files that cannot be read.
				if t, err := time.ParseInLocation("2006-01-02", days[0], time.Local); err == nil {
					for e, err := range r.Recent(ctx, u, reader.Query{Days: daysSince(t, a.env.now()), Limit: -1}) {
						if err != nil {
							if err := a.warn(err); err != nil {
								return err
							}
							continue
						}
						if !e.Time.IsZero() {
							last = e.Time.Format(record.TimeLayout)
						}
						break
					}
				}
				rows = append(rows, row{u, len(days), last})
			}
			out := a.env.stdout
			switch format {
			case "json":
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				for _, r := range rows {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
			case "csv":
				w := newCSVWriter(out)
				w.w.Write([]string{"user", "days", "last_entry"})
				for _, r := range rows {
					w.w.Write([]string{csvCell(r.User), fmt.Sprint(r.Days), r.Last})
				}
				return w.flush()
			default:
				fmt.Fprintf(out, "%-20s  %5s  %s\n", "USER", "DAYS", "LAST ENTRY")
				for _, r := range rows {
					fmt.Fprintf(out, "%-20s  %5d  %s\n", sanitize(r.User), r.Days, r.Last)
				}
			}
			return nil
		},
	}
}

// printEntries prints the entries of seq that pass the filters, at most
// limit of them (0: all), warning of the users refused on the way.
func (a *app) printEntries(seq iter.Seq2[record.Entry, error], limit int) error {
	w, err := a.entryWriter()
	if err != nil {
		return err
	}
	n := 0
	for e, err := range seq {
		if err != nil {
			if err := a.warn(err); err != nil {
				w.flush()
				return err
			}
			continue
		}
		if !a.filter.match(&e) {
			continue
		}
		if err := w.write(&e); err != nil {
			return err
		}
		if n++; limit > 0 && n >= limit {
			break
		}
	}
	return w.flush()
}

func (a *app) recentCommand() *cobra.Command {
	var days, limit int
	cmd := &cobra.Command{
		Use:   "recent [USER]",
		Short: "Show the newest entries of one user, or of all users, newest first",
		Example: `  toolaudit recent alice
  toolaudit recent --days 1 --limit 20 --status error,denied
  toolaudit recent --tool 'search*' --since 2h -o csv`,
		Args: argsBetween(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := a.env.now()
			if err := a.filter.prepare(now); err != nil {
				return err
			}
			if days < 0 || limit < 0 {
				return fmt.Errorf("--days and --limit must not be negative")
			}
			if !a.filter.from.IsZero() && !cmd.Flags().Changed("days") {
				days = daysSince(a.filter.from, now)
			}
			r, err := a.reader()
			if err != nil {
				return err
			}
			user := ""
			if len(args) == 1 {
				user = args[0]
			} else if len(a.filter.users) == 1 {
				user = a.filter.users[0]
			}
			if user != "" {
				return a.printEntries(r.Recent(cmd.Context(), user, reader.Query{Days: days, Limit: -1}), limit)
			}
			return a.printEntries(r.RecentAll(cmd.Context(), reader.Query{Days: days, Limit: -1}), limit)
		},
	}
	cmd.Flags().IntVar(&days, "days", 7, "days to read back, counting today")
	cmd.Flags().IntVar(&limit, "limit", 200, "most entries shown (0: all)")
	a.filter.flags(cmd)
	return cmd
}

func (a *app) dayCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "day USER YYYY-MM-DD",
		Short:   "Show one day of a user, in order",
		Example: "  toolaudit day alice 2026-11-27\n  toolaudit day alice 2026-11-27 --status denied -o json",
		Args:    argsBetween(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.filter.prepare(a.env.now()); err != nil {
				return err
			}
			r, err := a.reader()
			if err != nil {
				return err
			}
			return a.printEntries(r.Day(cmd.Context(), args[0], args[1]), 0)
		},
	}
	a.filter.flags(cmd)
	return cmd
}

func (a *app) followCommand() *cobra.Command {
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "follow [USER]",
		Short: "Print new entries as they are appended, like tail -f, until interrupted",
		Long: `follow prints the entries appended to today's files from now on, of one user or of
every user (new users included), across the change of day, and starts over on a
file that is truncated or recreated. Stop it with Ctrl-C.`,
		Example: "  toolaudit follow\n  toolaudit follow alice --status error,denied",
		Args:    argsBetween(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.untilStopped = true
			if err := a.filter.prepare(a.env.now()); err != nil {
				return err
			}
			w, err := a.entryWriter()
			if err != nil {
				return err
			}
			users := args
			if len(users) == 0 {
				users = a.filter.users
			}
			r, err := a.reader()
			if err != nil && isBucket(a.root) {
				return err
			}
			if err != nil {
				// The agent may not have written anything yet: wait for it.
				fmt.Fprintf(a.env.stderr, "toolaudit: %s; waiting for it\n", err)
			}
			for e, err := range r.Follow(cmd.Context(), poll, users...) {
				if err != nil {
					if isInvalid(err) {
						return err
					}
					if err := a.warn(err); err != nil {
						printError(a.env.stderr, err) // and go on following
					}
					continue
				}
				if !a.filter.match(&e) {
					continue
				}
				if err := w.write(&e); err != nil {
					return err
				}
				if err := w.flush(); err != nil {
					return err
				}
			}
			return cmd.Context().Err()
		},
	}
	cmd.Flags().DurationVar(&poll, "poll", 250*time.Millisecond, "how often to look for new lines")
	a.filter.flags(cmd)
	return cmd
}

// isInvalid reports an error about a bad user name or day.
func isInvalid(err error) bool {
	return errors.Is(err, reader.ErrInvalidUser) || errors.Is(err, reader.ErrInvalidDay)
}

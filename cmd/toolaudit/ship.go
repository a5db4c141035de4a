package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolaudit/toolaudit/s3ship"
	"github.com/toolaudit/toolaudit/ship"
)

// closeTimeout bounds the last upload when ship is stopped.
const closeTimeout = 30 * time.Second

func (a *app) shipCommand() *cobra.Command {
	var (
		to        string
		interval  time.Duration
		retention time.Duration
		compact   time.Duration
		host      string
		once      bool
	)
	cmd := &cobra.Command{
		Use:   "ship --to s3://BUCKET[/PREFIX]",
		Short: "Copy the audit files to S3-compatible object storage, until stopped",
		Long: `ship uploads the whole lines of every day file under the root, in order, to
s3://BUCKET/PREFIX/{user}/tool_audit/{day}/{host}/{offset}.jsonl, every interval,
until interrupted; then it ships what is left and stops. Once a day is over, each
user-day's pieces are joined into {day}/{host}.jsonl and deleted. Its progress is
kept in {root}/.ship, so a restart neither loses nor repeats a line. It deletes
nothing local.
The S3 client reads AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION and the
usual credential chain; TOOLAUDIT_S3_PATH_STYLE=true forces path-style URLs
(automatic for an IP address or localhost).`,
		Example: "  toolaudit ship --root /var/lib/agent/audit --to s3://audit/prod\n" +
			"  AWS_ENDPOINT_URL_S3=http://127.0.0.1:8333 toolaudit ship --to s3://audit --retention 2160h",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.untilStopped = !once // stopping it is its normal end
			if to == "" {
				return usageError{fmt.Errorf("ship needs --to s3://BUCKET[/PREFIX]")}
			}
			if _, _, err := s3ship.ParseURL(to); err != nil {
				return usageError{err}
			}
			if err := a.checkRoot(); err != nil {
				return err
			}
			ctx := cmd.Context()
			store, err := s3ship.New(ctx, to)
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			opts := []ship.Option{ship.WithInterval(interval), ship.WithHost(host), ship.WithRetention(retention), ship.WithCompactAfter(compact)}
			if once {
				opts = append(opts, ship.WithInterval(time.Hour))
			} else {
				opts = append(opts, ship.WithErrorHandler(func(err error) {
					if ctx.Err() == nil { // not the upload that stopping cut short
						fmt.Fprintln(stderr, "toolaudit ship:", oneLine(err.Error()))
					}
				}))
			}
			loopCtx, stop := context.WithCancel(ctx)
			defer stop()
			s, err := ship.Start(loopCtx, a.root, store, opts...)
			if err != nil {
				return err
			}
			if !once {
				fmt.Fprintf(stderr, "toolaudit ship: %s to %s as host %s, every %v\n", a.root, to, s.Host(), interval)
				<-ctx.Done()
			}
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
			defer cancel()
			err = s.Close(closeCtx)
			h := s.Health()
			fmt.Fprintf(stderr, "toolaudit ship: %d lines (%d bytes) shipped in %d objects; %d lines (%d bytes) not shipped\n",
				h.ShippedLines, h.ShippedBytes, h.Objects, h.PendingLines, h.PendingBytes)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "destination, s3://BUCKET[/PREFIX]")
	f.DurationVar(&interval, "interval", ship.DefaultInterval, "time between two uploads: the most a line waits while the store answers")
	f.DurationVar(&retention, "retention", 0, "Object Lock retention (COMPLIANCE) of each compacted object, pieces at most 72h; the bucket needs Object Lock (0: none)")
	f.DurationVar(&compact, "compact-after", time.Hour, "join a host's pieces of a user-day into one object this long after the day is over and its file unchanged (negative: never)")
	f.StringVar(&host, "host", "", "host part of the keys (default: made once and kept in {root}/.ship/host)")
	f.BoolVar(&once, "once", false, "ship what is there now, then exit")
	return cmd
}

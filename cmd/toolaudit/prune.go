package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

func (a *app) pruneCommand() *cobra.Command {
	var f tamperFlags
	var older string
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete whole days older than --older-than, each under a signed tombstone",
		Long: `prune verifies each user's chain, then for each day file older than --older-than
(in days, "90d") writes a tombstone signed with --key to the checkpoint folder
and deletes the file: verify then reports the day as retained. A day whose
chain is broken is kept (exit code 1).`,
		Example: "  toolaudit prune --older-than 90d --key /etc/toolaudit/seal.key",
		Args:    argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := strconv.Atoi(strings.TrimSuffix(older, "d"))
			if err != nil || n < 1 {
				return usageError{fmt.Errorf("invalid --older-than %q: want days, such as 90d", older)}
			}
			cfg, err := f.config(a)
			if err != nil {
				return err
			}
			key, err := f.privateKey()
			if err != nil {
				return err
			}
			now := a.env.now()
			cutoff := now.AddDate(0, 0, -n).Format(time.DateOnly)
			rows, err := tamper.Prune(cmd.Context(), cfg, key, cutoff, now)
			kept := a.reportRows(rows, "pruned")
			if err != nil {
				return err
			}
			if kept > 0 {
				return fmt.Errorf("%d user-days not pruned (tampered, or not yet shipped)", kept)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.checkpoints, "checkpoints", "", "checkpoint folder (default: the root's path + \".checkpoints\")")
	cmd.Flags().StringVar(&f.key, "key", "", "the private key (keygen's FILE)")
	cmd.Flags().StringVar(&older, "older-than", "", "delete days older than this many days, such as 90d")
	return cmd
}

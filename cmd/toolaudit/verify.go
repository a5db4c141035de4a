package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

func (a *app) verifyCommand() *cobra.Command {
	var f tamperFlags
	var pubkey, user, since, until string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain of every user-day, and its signed checkpoints with --pubkey",
		Long: `verify prints one row per user-day: ok, tampered, torn, unsealed (lines after
the last checkpoint), legacy (written before chaining) or retained (removed by
retention under a signed tombstone). Exit code 1 when anything is tampered or a
signature fails. Without --pubkey, only the chains are checked.`,
		Example: "  toolaudit verify\n  toolaudit verify --pubkey /etc/toolaudit/seal.key.pub --user alice -o json",
		Args:    argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := a.format(); err != nil {
				return err
			}
			for _, d := range []string{since, until} {
				if _, err := time.Parse("2006-01-02", d); d != "" && err != nil {
					return usageError{fmt.Errorf("invalid day %q: want YYYY-MM-DD", d)}
				}
			}
			cfg, err := f.config(a)
			if err != nil {
				return err
			}
			cfg.User = user
			if pubkey != "" {
				if cfg.PublicKey, err = tamper.LoadPublicKey(pubkey); err != nil {
					return err
				}
			}
			rows, err := tamper.Verify(cmd.Context(), cfg)
			shown := rows[:0]
			tampered := 0
			for _, r := range rows {
				if r.Day == "" || (since == "" || r.Day >= since) && (until == "" || r.Day <= until) { // "": a user folder that cannot be listed
					shown = append(shown, r)
					if r.Status == tamper.Tampered {
						tampered++
					}
				}
			}
			if perr := a.printRows(shown); err == nil {
				err = perr
			}
			if err != nil {
				return err
			}
			if pubkey == "" {
				fmt.Fprintln(a.env.stderr, "toolaudit: signatures not checked (no --pubkey): chains only")
			}
			if tampered > 0 {
				return fmt.Errorf("%d user-days tampered", tampered)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.checkpoints, "checkpoints", "", "checkpoint folder (default: the root's path + \".checkpoints\")")
	fl.StringVar(&pubkey, "pubkey", "", "the sealer's public key (keygen's FILE.pub): check the checkpoints")
	fl.StringVar(&user, "user", "", "only this user")
	fl.StringVar(&since, "since", "", "show days from YYYY-MM-DD (the days before are still checked)")
	fl.StringVar(&until, "until", "", "show days up to YYYY-MM-DD")
	return cmd
}

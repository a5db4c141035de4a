package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

func (a *app) sealCommand() *cobra.Command {
	var f tamperFlags
	cmd := &cobra.Command{
		Use:   "seal",
		Short: "Sign a checkpoint of every day file that grew since its last one",
		Long: `seal verifies each user's chain and appends a checkpoint, signed with --key, for
every day file that gained lines since its last checkpoint. Run it as another OS
user than the writer's (docs/security.md). It refuses a file whose chain is
broken (exit code 1): sealing it would bless it.`,
		Example: "  toolaudit seal --root /var/lib/agent/audit --key /etc/toolaudit/seal.key",
		Args:    argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(a)
			if err != nil {
				return err
			}
			key, err := f.privateKey()
			if err != nil {
				return err
			}
			rows, err := tamper.Seal(cmd.Context(), cfg, key, a.env.now())
			refused := a.reportRows(rows, "sealed")
			if err != nil {
				return err
			}
			if refused > 0 {
				return fmt.Errorf("%d user-days tampered, not sealed", refused)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.checkpoints, "checkpoints", "", "checkpoint folder (default: the root's path + \".checkpoints\")")
	cmd.Flags().StringVar(&f.key, "key", "", "the private key (keygen's FILE)")
	return cmd
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

func (a *app) keygenCommand() *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:     "keygen",
		Short:   "Make the sealer's Ed25519 key pair: FILE (0600) and FILE.pub",
		Example: "  toolaudit keygen --key /etc/toolaudit/seal.key",
		Args:    argsBetween(0, 0),
		RunE: func(*cobra.Command, []string) error {
			if key == "" {
				return usageError{fmt.Errorf("--key is required")}
			}
			if err := tamper.GenerateKey(key); err != nil {
				return err
			}
			fmt.Fprintf(a.env.stdout, "private key %s, public key %s.pub\n", key, key)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the private key file to create; the public key goes to FILE.pub")
	return cmd
}

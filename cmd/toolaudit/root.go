package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/reader"
)

// usageError marks wrong usage: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// app holds the global flags and what the commands share.
type app struct {
	env     env
	root    string
	output  string
	noColor bool
	color   string
	filter  filter
	refused bool // a user's folder or file could not be read: exit code 1
	// untilStopped marks a command that runs until interrupted (follow,
	// serve): for it, an interruption is the normal end. For the others it
	// means the output is incomplete, which must not read as success.
	untilStopped bool
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	if e.now == nil {
		e.now = time.Now
	}
	a := &app{env: e}
	cmd := a.rootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(e.stdout)
	cmd.SetErr(e.stderr)
	err := cmd.ExecuteContext(ctx)
	if errors.Is(err, context.Canceled) || err == nil && ctx.Err() != nil {
		if a.untilStopped {
			err = nil
		} else {
			err = errors.New("interrupted: what was printed is incomplete")
		}
	}
	if err != nil {
		printError(e.stderr, err)
		var ue usageError
		if errors.As(err, &ue) || isCobraUsage(err) {
			return 2
		}
		return 1
	}
	if a.refused {
		return 1 // what could be read was printed, each refused user warned of
	}
	return 0
}

// isCobraUsage recognises cobra's own usage errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, " "+p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "toolaudit",
		Short: "Read, follow, filter and summarise toolaudit audit files",
		Long: `toolaudit reads the JSON-lines audit files that the toolaudit exporter writes
under {root}/{user}/tool_audit/YYYY-MM-DD.jsonl.`,
		Example: `  toolaudit --root ./home users
  toolaudit recent alice --days 1 --status error
  toolaudit stats --days 7 -o json`,
		Version:       toolaudit.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	defRoot := a.env.getenv("TOOLAUDIT_ROOT")
	if defRoot == "" {
		defRoot = "./home"
	}
	pf.StringVar(&a.root, "root", defRoot, "audit root folder, or s3://bucket/prefix to read what toolaudit ship stored ($TOOLAUDIT_ROOT)")
	pf.StringVarP(&a.output, "output", "o", "", "output format: table, json or csv (default table on a terminal, json otherwise)")
	pf.BoolVar(&a.noColor, "no-color", false, "no colours (also when $NO_COLOR is set)")
	pf.StringVar(&a.color, "color", "auto", "colours: auto, always or never")
	root.AddCommand(a.usersCommand(), a.recentCommand(), a.dayCommand(), a.followCommand(), a.statsCommand(), a.shipCommand())
	root.AddCommand(a.serveCommand()) // serve.go
	root.AddCommand(a.tamperCommands()...)
	return root
}

// noArgs refuses positional arguments as wrong usage.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
	}
	return nil
}

// argsBetween checks the count of positional arguments as wrong usage.
func argsBetween(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			want := fmt.Sprintf("%d", lo)
			if lo != hi {
				want = fmt.Sprintf("%d to %d", lo, hi)
			}
			return usageError{fmt.Errorf("%s takes %s arguments, got %d", cmd.CommandPath(), want, len(args))}
		}
		return nil
	}
}

// reader returns the reader of the audit root, and an error naming the
// root when it does not exist or is not a folder: a mistyped --root would
// otherwise look like an empty log. The reader of a folder is usable either
// way (it reads a missing root as empty), for follow, which waits for the
// root. A root s3://bucket/prefix is read from the bucket.
func (a *app) reader() (auditReader, error) {
	if isBucket(a.root) {
		return a.bucketReader()
	}
	return reader.New(a.root, reader.WithClock(a.env.now)), a.checkRoot()
}

// checkRoot reports a root that does not exist or is not a folder.
func (a *app) checkRoot() error {
	st, err := os.Stat(a.root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("audit root %q does not exist (set --root or $TOOLAUDIT_ROOT)", a.root)
	case err != nil:
		return fmt.Errorf("audit root: %w", err)
	case !st.IsDir():
		return fmt.Errorf("audit root %q is not a folder", a.root)
	}
	return nil
}

// format is the output format in effect.
func (a *app) format() (string, error) {
	switch a.output {
	case "":
		if a.env.isTerminal {
			return "table", nil
		}
		return "json", nil
	case "table", "json", "csv":
		return a.output, nil
	}
	return "", usageError{fmt.Errorf("unknown output format %q: want table, json or csv", a.output)}
}

// colored reports whether table output is coloured.
func (a *app) colored() (bool, error) {
	switch a.color {
	case "always":
		return !a.noColor, nil
	case "never":
		return false, nil
	case "auto":
		return a.env.isTerminal && !a.noColor && a.env.getenv("NO_COLOR") == "", nil
	}
	return false, usageError{fmt.Errorf("unknown --color %q: want auto, always or never", a.color)}
}

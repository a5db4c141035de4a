package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

// tamperCommands are the commands of tamper evidence (docs/security.md).
func (a *app) tamperCommands() []*cobra.Command {
	return []*cobra.Command{a.verifyCommand(), a.sealCommand(), a.keygenCommand(), a.pruneCommand()}
}

// tamperFlags are the flags verify, seal and prune share.
type tamperFlags struct {
	checkpoints string
	key         string
}

func (f *tamperFlags) config(a *app) (tamper.Config, error) {
	if err := a.checkRoot(); err != nil {
		return tamper.Config{}, err
	}
	cfg := tamper.Config{Root: a.root, Checkpoints: f.checkpoints}
	if f.checkpoints != "" && inside(f.checkpoints, a.root) {
		return cfg, usageError{fmt.Errorf("--checkpoints %q is inside the root %q: the writer could change it", f.checkpoints, a.root)}
	}
	return cfg, nil
}

// inside reports whether dir is root or under it.
func inside(dir, root string) bool {
	d, err1 := filepath.Abs(dir)
	r, err2 := filepath.Abs(root)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(r, d)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func (f *tamperFlags) privateKey() (ed25519.PrivateKey, error) {
	if f.key == "" {
		return nil, usageError{fmt.Errorf("--key is required")}
	}
	return tamper.LoadPrivateKey(f.key)
}

// printRows prints verdict rows in the output format.
func (a *app) printRows(rows []tamper.Row) error {
	format, err := a.format()
	if err != nil {
		return err
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
		return nil
	case "csv":
		w := newCSVWriter(out)
		w.w.Write([]string{"user", "day", "status", "lines", "line", "reason"})
		for _, r := range rows {
			w.w.Write([]string{r.User, r.Day, r.Status, fmt.Sprint(r.Lines), lineOr(r.Line), csvCell(r.Reason)})
		}
		return w.flush()
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tDAY\tSTATUS\tLINES\tLINE\tREASON")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.User, r.Day, r.Status, r.Lines, lineOr(r.Line), sanitize(r.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range bytes.Lines(buf.Bytes()) {
		if _, err := fmt.Fprintf(out, "%s\n", bytes.TrimRight(line, " \n")); err != nil {
			return err
		}
	}
	return nil
}

func lineOr(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// reportRows prints the rows of seal or prune: each day done on stdout
// ("sealed alice 2026-11-27: 40 lines"), each kept (tampered, or not yet
// shipped) on stderr with its reason, and returns how many were kept.
func (a *app) reportRows(rows []tamper.Row, done string) (kept int) {
	for _, r := range rows {
		switch r.Status {
		case tamper.Tampered:
			kept++
			fmt.Fprintf(a.env.stderr, "toolaudit: not %s: %s %s line %d: %s\n", done, r.User, r.Day, r.Line, r.Reason)
		case tamper.Unshipped:
			kept++
			fmt.Fprintf(a.env.stderr, "toolaudit: %s %s %s\n", r.User, r.Day, r.Reason)
		default:
			fmt.Fprintf(a.env.stdout, "%s %s %s: %d lines\n", done, r.User, r.Day, r.Lines)
		}
	}
	return kept
}

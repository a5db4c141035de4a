package tamper

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/internal/chain"
	"github.com/toolaudit/toolaudit/internal/layout"
)

// The statuses of a user-day, worst first.
const (
	Tampered = "tampered" // a line or file changed, missing or added; a signature failed
	Torn     = "torn"     // a line cut short by a crash, nothing else wrong
	Unsealed = "unsealed" // lines after the last checkpoint (with a public key only)
	Legacy   = "legacy"   // lines without a link, written before chaining
	Retained = "retained" // removed by retention: a signed tombstone covers it
	OK       = "ok"
	// Unshipped is prune's: a day a shipper has not yet stored whole, kept.
	Unshipped = "unshipped"
)

// Row is the verdict on one user-day.
type Row struct {
	User   string `json:"user"`
	Day    string `json:"day"`
	Status string `json:"status"`
	Lines  int    `json:"lines"`
	Line   int    `json:"line,omitempty"`   // the first line concerned, 0 for the whole file
	Reason string `json:"reason,omitempty"` // what is wrong, or why the status
}

// Config says where a tree and its checkpoints are.
type Config struct {
	Root        string
	Checkpoints string            // "" means Root+".checkpoints"
	PublicKey   ed25519.PublicKey // nil checks the chains only
	User        string            // "" means every user
}

// CheckpointDir is the default checkpoint folder of root: beside it,
// never inside it, so that the writer of root need not own it.
func CheckpointDir(root string) string {
	return filepath.Clean(root) + ".checkpoints"
}

func (c *Config) cpDir() string {
	if c.Checkpoints != "" {
		return c.Checkpoints
	}
	return CheckpointDir(c.Root)
}

// dayState is one user-day as the walk found it.
type dayState struct {
	row   Row
	file  bool // the day file exists
	d     chain.Day
	cps   []Checkpoint
	tomb  *Tombstone
	fault string // the checkpoint or tombstone folder's verdict, "" if fine
	line  int
}

// tree is an open tree: the root and the checkpoint folder, nil when
// missing.
type tree struct {
	ctx  context.Context
	cfg  *Config
	root *os.Root
	cp   *os.Root
}

func openTree(ctx context.Context, cfg *Config) (*tree, error) {
	t := &tree{ctx: ctx, cfg: cfg}
	var err error
	if t.root, err = os.OpenRoot(cfg.Root); err != nil {
		return nil, fmt.Errorf("audit root: %w", err)
	}
	t.cp, err = os.OpenRoot(cfg.cpDir())
	if errors.Is(err, fs.ErrNotExist) && cfg.PublicKey == nil {
		err = nil // no tombstones; without a key, checkpoints are not read
	}
	if err != nil {
		t.root.Close()
		return nil, fmt.Errorf("checkpoint folder: %w", err)
	}
	return t, nil
}

func (t *tree) close() {
	t.root.Close()
	if t.cp != nil {
		t.cp.Close()
	}
}

// users lists the user folders of the root and of the checkpoint folder.
func (t *tree) users() ([]string, error) {
	if t.cfg.User != "" {
		if t.cfg.User != layout.Unattributed && layout.ValidateUser(t.cfg.User) != nil {
			return nil, fmt.Errorf("invalid user name %q", t.cfg.User)
		}
		return []string{t.cfg.User}, nil
	}
	set := map[string]bool{}
	for _, r := range []*os.Root{t.root, t.cp} {
		names, err := readDir(r, ".")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if n == layout.Unattributed || layout.ValidateUser(n) == nil {
				set[n] = true
			}
		}
	}
	users := make([]string, 0, len(set))
	for u := range set {
		users = append(users, u)
	}
	slices.Sort(users)
	return users, nil
}

// readDir lists dir's names; a missing folder (or root) has none.
func readDir(r *os.Root, dir string) ([]string, error) {
	if r == nil {
		return nil, nil
	}
	f, err := r.Open(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil && !isNotDir(err) {
		return nil, err
	}
	return names, nil
}

// days lists a user's days with a file, a checkpoint or a tombstone.
func (t *tree) days(user string) ([]string, error) {
	set := map[string]bool{}
	add := func(r *os.Root, dir string, suffixes ...string) error {
		names, err := readDir(r, dir)
		for _, n := range names {
			for _, s := range suffixes {
				if d, ok := strings.CutSuffix(n, s); ok {
					if _, err := layout.ParseDay(d, time.UTC); err == nil {
						set[d] = true
					}
				}
			}
		}
		return err
	}
	if err := add(t.root, layout.UserDir(user), layout.Ext); err != nil {
		return nil, fmt.Errorf("cannot list %s in the root: %w", layout.UserDir(user), bare(err))
	}
	if err := add(t.cp, user, layout.Ext, tombExt); err != nil {
		return nil, fmt.Errorf("cannot list %s in the checkpoint folder: %w", user, bare(err))
	}
	days := make([]string, 0, len(set))
	for d := range set {
		days = append(days, d)
	}
	slices.Sort(days)
	return days, nil
}

const tombExt = ".tombstone.json"

// walkUser checks user's days in order, calling fn with each. A day or
// folder that cannot be read is a Tampered row naming it, and the walk
// goes on; the error is ctx's or fn's.
func (t *tree) walkUser(user string, fn func(*dayState) error) error {
	days, err := t.days(user)
	if err != nil {
		return fn(&dayState{row: Row{User: user, Status: Tampered, Reason: err.Error()}})
	}
	genesis := chain.Genesis(user)
	prev := genesis
	var alt []chain.Link
	started := false
	for _, day := range days {
		st := &dayState{row: Row{User: user, Day: day}}
		t.readSigned(st)
		rel := layout.UserDir(user) + "/" + day + layout.Ext
		f, err := t.root.OpenFile(rel, os.O_RDONLY|nonBlock, 0)
		if err == nil {
			st.file = true
			at := make([]int, len(st.cps))
			for i, c := range st.cps {
				at[i] = c.Lines
			}
			err = t.readDay(st, f, chain.Options{Prev: prev, Alt: alt, Started: started, At: at, Links: true})
			f.Close()
			if cerr := t.ctx.Err(); cerr != nil {
				return cerr
			}
		}
		switch {
		case err == nil:
			if st.d.Chained > 0 {
				alt = append(append(alt[:0], st.d.Start), st.d.Links...)
			}
			prev, started = st.d.Head, st.d.Started
		case !st.file && (errors.Is(err, fs.ErrNotExist) || isNotDir(err)):
			if st.tomb != nil {
				head, _ := chain.ParseLink(st.tomb.Head)
				// A writer that finds no earlier day file on disk starts
				// the next day from the genesis link.
				prev, alt = head, append(alt[:0], genesis)
				started = started || head != genesis
				st.row.Status, st.row.Lines = Retained, st.tomb.Lines
				st.row.Reason = "removed by retention at " + st.tomb.PrunedAt
			} else if n := len(st.cps); n > 0 {
				prev, alt, started = t.afterSealed(st, started)
				st.row.Reason = fmt.Sprintf("the day file is missing; it was sealed with %d lines at %s", st.row.Lines, st.cps[n-1].SealedAt)
			} else if st.fault == "" {
				continue
			}
		default:
			// Something is there that cannot be read (a symlink out of
			// the root, no permission): the day is tampered, and the next
			// one follows its last checkpoint, if any.
			st.file = true
			st.d = chain.Day{Head: prev, Start: prev, Started: started}
			if len(st.cps) > 0 {
				prev, alt, started = t.afterSealed(st, started)
			}
			st.row.Status = Tampered
			st.row.Reason = fmt.Sprintf("cannot read %s in the root: %v", rel, bare(err))
		}
		if st.fault != "" {
			st.row.Status, st.row.Line, st.row.Reason = Tampered, st.line, st.fault
		}
		if err := fn(st); err != nil {
			return err
		}
		st.d.Ends, st.d.Heads, st.d.Links = nil, nil, nil
	}
	return nil
}

// afterSealed marks st Tampered with its last checkpoint's line count,
// and returns where the chain goes on from: that checkpoint's head.
func (t *tree) afterSealed(st *dayState, started bool) (chain.Link, []chain.Link, bool) {
	last := st.cps[len(st.cps)-1]
	head, _ := chain.ParseLink(last.Head)
	st.row.Status, st.row.Lines = Tampered, last.Lines
	return head, nil, started || head != chain.Genesis(st.row.User)
}

// readDay checks one day file against its chain and its checkpoints.
func (t *tree) readDay(st *dayState, f *os.File, o chain.Options) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		st.d = chain.Day{Head: o.Prev, Start: o.Prev, Started: o.Started}
		st.row.Status, st.row.Reason = Tampered, fmt.Sprintf("not a regular file (%v)", fi.Mode().Type())
		return nil
	}
	if st.d, err = chain.Verify(t.ctx, f, o); err != nil {
		return err
	}
	d := &st.d
	r := &st.row
	r.Lines = d.Lines
	line, reason := t.checkCheckpoints(st)
	switch {
	case d.Fail > 0:
		r.Status, r.Line, r.Reason = Tampered, d.Fail, d.Reason
	case reason != "":
		r.Status, r.Line, r.Reason = Tampered, line, reason
	case d.Torn > 0:
		r.Status, r.Line = Torn, d.FirstTorn
		r.Reason = fmt.Sprintf("%d torn lines (a write cut short), the first here", d.Torn)
	case t.cfg.PublicKey != nil && sealedLines(st) < d.Lines:
		n := sealedLines(st)
		r.Status, r.Line = Unsealed, n+1
		r.Reason = fmt.Sprintf("%d lines after the last checkpoint", d.Lines-n)
	case d.Legacy > 0:
		r.Status, r.Reason = Legacy, fmt.Sprintf("%d lines without a link, written before chaining", d.Legacy)
	default:
		r.Status = OK
	}
	return nil
}

func sealedLines(st *dayState) int {
	if n := len(st.cps); n > 0 {
		return st.cps[n-1].Lines
	}
	return 0
}

// bare is err without the path of a *fs.PathError.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

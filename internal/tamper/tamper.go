package tamper

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/toolaudit/toolaudit/internal/layout"
	"github.com/toolaudit/toolaudit/ship"
)

// Verify checks every user-day of cfg's tree and returns one row for each,
// by user then day. The error is the tree's (unreadable, not a folder),
// never a verdict.
func Verify(ctx context.Context, cfg Config) ([]Row, error) {
	t, err := openTree(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer t.close()
	users, err := t.users()
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		err := t.walkUser(u, func(st *dayState) error {
			rows = append(rows, st.row)
			return nil
		})
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// Seal appends a checkpoint, signed with key, for each user-day file that
// gained whole lines since its last checkpoint, and returns a row for each
// file it sealed and each it refused (a broken chain: sealing it would
// bless it), whose status is Tampered.
func Seal(ctx context.Context, cfg Config, key ed25519.PrivateKey, now time.Time) ([]Row, error) {
	var rows []Row
	err := eachUser(ctx, cfg, key, func(t *tree, u string) error {
		return t.walkUser(u, func(st *dayState) error {
			if st.row.Status == Tampered {
				rows = append(rows, st.row)
				return nil
			}
			whole := st.d.Lines - b2i(st.d.Open)
			if !st.file || whole <= sealedLines(st) {
				return nil
			}
			c := Checkpoint{User: u, Day: st.row.Day, Lines: whole, Bytes: st.d.WholeEnd,
				Head: st.d.WholeHead.String(), SealedAt: now.UTC().Format(time.RFC3339)}
			if n := len(st.cps); n > 0 {
				c.Prev = digest(st.cps[n-1].signed)
			}
			line := append(sign(key, appendCheckpoint(nil, &c)), '\n')
			if err := t.appendCheckpoint(u, st.row.Day, line); err != nil {
				return err
			}
			rows = append(rows, Row{User: u, Day: st.row.Day, Status: "sealed", Lines: whole})
			return nil
		})
	})
	return rows, err
}

// eachUser opens the tree to write checkpoints or tombstones signed with
// key (its public half checks those already there) and calls fn for each
// user, going on past a user fn fails for: the errors are joined, each
// naming its user. ctx done ends it.
func eachUser(ctx context.Context, cfg Config, key ed25519.PrivateKey, fn func(t *tree, user string) error) error {
	cfg.PublicKey = key.Public().(ed25519.PublicKey)
	if err := os.MkdirAll(cfg.cpDir(), 0o755); err != nil {
		return fmt.Errorf("checkpoint folder: %w", err)
	}
	t, err := openTree(ctx, &cfg)
	if err != nil {
		return err
	}
	defer t.close()
	users, err := t.users()
	if err != nil {
		return err
	}
	var errs []error
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := fn(t, u); err != nil {
			errs = append(errs, fmt.Errorf("user %s: %w", u, err))
		}
	}
	return errors.Join(errs...)
}

func (t *tree) appendCheckpoint(user, day string, line []byte) error {
	if err := t.cp.MkdirAll(user, 0o755); err != nil {
		return err
	}
	f, err := t.cp.OpenFile(user+"/"+day+layout.Ext, os.O_WRONLY|os.O_APPEND|os.O_CREATE|nonBlock, 0o644) // a FIFO put there since: ENXIO, not a wait
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// Prune removes the day files of days before cutoff ("YYYY-MM-DD"), each
// after writing its signed tombstone to the checkpoint folder. A day whose
// chain is broken is not removed: its row, Tampered, says why.
func Prune(ctx context.Context, cfg Config, key ed25519.PrivateKey, cutoff string, now time.Time) ([]Row, error) {
	var rows []Row
	err := eachUser(ctx, cfg, key, func(t *tree, u string) error {
		var states []*dayState
		if err := t.walkUser(u, func(st *dayState) error {
			states = append(states, st)
			return nil
		}); err != nil {
			return err
		}
		for i, st := range states {
			if !st.file || st.row.Day >= cutoff {
				continue
			}
			if st.row.Status == Tampered {
				rows = append(rows, st.row)
				continue
			}
			// The tombstone's head is the link the next day follows: the
			// last one, or an earlier one when lines came late.
			head := st.d.Head
			for _, next := range states[i+1:] {
				if next.file && next.d.Chained > 0 {
					if next.row.Status != Tampered {
						head = next.d.Start
					}
					break
				}
			}
			if reason := t.unshipped(u, st.row.Day); reason != "" {
				rows = append(rows, Row{User: u, Day: st.row.Day, Status: Unshipped, Lines: st.d.Lines, Reason: reason})
				continue
			}
			tomb := Tombstone{User: u, Day: st.row.Day, Lines: st.d.Lines, Head: head.String(), PrunedAt: now.UTC().Format(time.RFC3339)}
			if err := t.removeDay(&tomb, key); err != nil {
				return err
			}
			rows = append(rows, Row{User: u, Day: st.row.Day, Status: "pruned", Lines: st.d.Lines})
		}
		return nil
	})
	return rows, err
}

// unshipped says why user's day file must stay for a shipper (see package
// ship), or "" when it need not: no shipper keeps state under the root, or
// it has stored the whole file. Pruning must not lose what was never
// shipped.
func (t *tree) unshipped(user, day string) string {
	if _, err := t.root.Stat(".ship"); err != nil {
		return ""
	}
	st, err := t.root.Stat(layout.UserDir(user) + "/" + day + layout.Ext)
	if err != nil {
		return ""
	}
	shipped, err := ship.Shipped(t.cfg.Root, user, day)
	switch {
	case err != nil:
		return "not pruned: reading the shipper's progress: " + err.Error()
	case shipped < st.Size():
		return fmt.Sprintf("not pruned: shipped %d of %d bytes", shipped, st.Size())
	}
	return ""
}

// removeDay writes tomb, synced, then removes its day file.
func (t *tree) removeDay(tomb *Tombstone, key ed25519.PrivateKey) error {
	if err := t.cp.MkdirAll(tomb.User, 0o755); err != nil {
		return err
	}
	rel := tomb.User + "/" + tomb.Day + tombExt
	if old, err := readSmall(t.cp, rel); err == nil {
		// A tombstone from a prune that did not get to remove the file.
		if prev, err := parseTombstone(old, t.cfg.PublicKey); err != nil || prev.Head != tomb.Head || prev.Lines != tomb.Lines {
			return fmt.Errorf("%s exists and differs", rel)
		}
	} else {
		f, err := t.cp.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		_, err = f.Write(append(sign(key, appendTombstone(nil, tomb)), '\n'))
		if err == nil {
			err = f.Sync()
		}
		if err = errors.Join(err, f.Close()); err != nil {
			return err
		}
	}
	return t.root.Remove(layout.UserDir(tomb.User) + "/" + tomb.Day + layout.Ext)
}

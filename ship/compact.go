package ship

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// dayOver is when a day is over in every time zone: 12:00 UTC the next
// day (UTC-12 is the latest).
func dayOver(day string) (time.Time, bool) {
	t, err := layout.ParseDay(day, time.UTC)
	return t.Add(36 * time.Hour), err == nil
}

// compact joins this host's pieces of f into one object once f's day is
// over and f is all shipped and unchanged for compactAfter, and deletes the
// pieces once their retention allows. It reports whether it compacted.
func (s *Shipper) compact(ctx context.Context, f dayFile) (bool, error) {
	if s.cfg.compactAfter < 0 {
		return false, nil
	}
	key := f.user + "/" + f.day
	p := s.prog[key]
	now := s.cfg.now()
	if p.Compacted > 0 {
		if p.PiecesDeleted || now.Before(p.PiecesUntil) {
			return false, nil
		}
		return false, s.deletePieces(ctx, f, p)
	}
	over, ok := dayOver(f.day)
	if !ok || now.Before(over.Add(s.cfg.compactAfter)) || p.Offset == 0 {
		return false, nil
	}
	st, err := s.r.Lstat(f.rel())
	if err != nil || st.Size() != p.Offset || now.Sub(st.ModTime()) < s.cfg.compactAfter {
		return false, nil // not all shipped, or still changing
	}
	// The compacted object is made of the stored pieces, not of the local
	// file, and only if they are the file: what the bucket holds is what
	// was shipped.
	prefix := strings.TrimSuffix(Key(f.user, f.day, s.host, 0), "0000000000000000"+layout.Ext)
	keys, err := s.store.List(ctx, prefix)
	if err != nil {
		return false, &storeError{fmt.Errorf("ship: compacting %s: %w", f.rel(), err)}
	}
	var pieces []string
	for _, k := range keys {
		if o, ok := ParseKey(k); ok && !o.Compacted {
			pieces = append(pieces, k)
		}
	}
	if len(pieces) == 1 && pieces[0] == Key(f.user, f.day, s.host, 0) && s.cfg.retention == 0 {
		// One piece is already one object: copying it would cost a GET, a
		// PUT and a DELETE for nothing. (Under a retention it is copied,
		// for the compacted object's longer lock.)
		p.Compacted, p.PiecesDeleted = p.Offset, true
		if err := saveProgress(s.r, f.user, f.day, p); err != nil {
			return false, fmt.Errorf("ship: saving the progress of %s: %w", f.rel(), err)
		}
		s.prog[key] = p
		return false, nil
	}
	body := make([]byte, 0, p.Offset)
	for _, k := range pieces {
		o, ok := ParseKey(k)
		if !ok || o.Compacted {
			continue
		}
		if o.Offset != int64(len(body)) {
			return false, fmt.Errorf("ship: compacting %s: %w: a piece starts at byte %d, the pieces before end at %d", f.rel(), ErrConflict, o.Offset, len(body))
		}
		b, err := s.store.Get(ctx, k)
		if err != nil {
			return false, &storeError{fmt.Errorf("ship: compacting %s: %w", f.rel(), err)}
		}
		body = append(body, b...)
	}
	if err := sameAsFile(s.r, f.rel(), body); err != nil {
		return false, fmt.Errorf("ship: compacting %s: %w: %w", f.rel(), ErrConflict, err)
	}
	var until time.Time
	if s.cfg.retention > 0 {
		until = now.Add(s.cfg.retention)
	}
	ck := CompactedKey(f.user, f.day, s.host)
	if err := s.store.PutOnce(ctx, ck, body, until); errors.Is(err, ErrExists) {
		old, gerr := s.store.Get(ctx, ck)
		if gerr != nil || !bytes.Equal(old, body) {
			return false, fmt.Errorf("ship: compacting %s: %w: %s holds other bytes (%v)", f.rel(), ErrConflict, ck, gerr)
		}
	} else if err != nil {
		return false, &storeError{fmt.Errorf("ship: compacting %s: %w", f.rel(), err)}
	}
	p.Compacted = int64(len(body))
	if err := saveProgress(s.r, f.user, f.day, p); err != nil {
		return false, fmt.Errorf("ship: saving the progress of %s: %w", f.rel(), err)
	}
	s.prog[key] = p
	if !now.Before(p.PiecesUntil) {
		return true, s.deletePieces(ctx, f, p)
	}
	return true, nil
}

// deletePieces deletes the pieces that f's compacted object covers.
func (s *Shipper) deletePieces(ctx context.Context, f dayFile, p progress) error {
	prefix := strings.TrimSuffix(Key(f.user, f.day, s.host, 0), "0000000000000000"+layout.Ext)
	keys, err := s.store.List(ctx, prefix)
	if err != nil {
		return &storeError{fmt.Errorf("ship: deleting the pieces of %s: %w", f.rel(), err)}
	}
	var covered []string
	for _, k := range keys {
		if o, ok := ParseKey(k); ok && !o.Compacted && o.Offset < p.Compacted {
			covered = append(covered, k)
		}
	}
	if err := s.store.Delete(ctx, covered...); err != nil {
		return &storeError{fmt.Errorf("ship: deleting the pieces of %s: %w", f.rel(), err)}
	}
	p.PiecesDeleted = true
	if err := saveProgress(s.r, f.user, f.day, p); err != nil {
		return fmt.Errorf("ship: saving the progress of %s: %w", f.rel(), err)
	}
	s.prog[f.user+"/"+f.day] = p
	return nil
}

// sameAsFile checks that the file rel under r holds exactly body.
func sameAsFile(r *os.Root, rel string, body []byte) error {
	fh, err := r.OpenFile(rel, openFlags, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	buf := make([]byte, 1<<20)
	off := 0
	for {
		n, err := fh.Read(buf)
		if n > 0 {
			if off+n > len(body) || !bytes.Equal(buf[:n], body[off:off+n]) {
				return fmt.Errorf("the pieces differ from the local file after byte %d", off)
			}
			off += n
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	if off != len(body) {
		return fmt.Errorf("the pieces hold %d bytes, the local file %d", len(body), off)
	}
	return nil
}

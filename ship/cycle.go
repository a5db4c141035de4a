package ship

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/internal/layout"
	"github.com/toolaudit/toolaudit/record"
)

// dayFile names a day file under the root.
type dayFile struct{ user, day string }

func (f dayFile) rel() string {
	return filepath.Join(f.user, layout.AuditDir, f.day+layout.Ext)
}

// dayFiles lists the regular day files under r, sorted. Other names (the
// state folder, FIFOs, symbolic links) are left alone; a user folder or
// its tool_audit folder that is a symbolic link is not followed, and
// reported in the error, which does not stop the listing.
func dayFiles(r *os.Root) ([]dayFile, error) {
	users, err := fs.ReadDir(r.FS(), ".")
	if err != nil {
		return nil, err
	}
	var files []dayFile
	var errs []error
	for _, u := range users {
		if layout.ValidateUser(u.Name()) != nil {
			continue
		}
		if u.Type()&fs.ModeSymlink != 0 {
			errs = append(errs, fmt.Errorf("%s is a symbolic link: not followed, not shipped", u.Name()))
			continue
		}
		if !u.IsDir() {
			continue
		}
		// The listing and the opens go through r, so a folder swapped for
		// a link after this check still cannot lead outside the root.
		dir := filepath.Join(u.Name(), layout.AuditDir)
		if st, err := r.Lstat(dir); err != nil || !st.IsDir() {
			if err == nil && st.Mode()&fs.ModeSymlink != 0 {
				errs = append(errs, fmt.Errorf("%s is a symbolic link: not followed, not shipped", dir))
			}
			continue
		}
		days, err := fs.ReadDir(r.FS(), filepath.ToSlash(dir))
		if err != nil {
			continue
		}
		for _, d := range days {
			day, ok := strings.CutSuffix(d.Name(), layout.Ext)
			if !ok || !d.Type().IsRegular() {
				continue
			}
			if _, err := layout.ParseDay(day, time.UTC); err != nil {
				continue
			}
			files = append(files, dayFile{u.Name(), day})
		}
	}
	sort.Slice(files, func(i, j int) bool {
		if files[i].user != files[j].user {
			return files[i].user < files[j].user
		}
		return files[i].day < files[j].day
	})
	return files, errors.Join(errs...)
}

// storeError marks an error of the store, as opposed to a local one.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// tally is what a cycle found not yet shipped.
type tally struct {
	lines, bytes int64
	oldest       time.Time
}

func (s *Shipper) cycle(ctx context.Context) error {
	files, err := dayFiles(s.r)
	var errs []error
	if err != nil {
		err = fmt.Errorf("ship: listing %s: %w", s.root, err)
		errs = append(errs, err)
		s.cfg.handle(err)
	}
	var t tally
	var shippedLines, shippedBytes, objects, compactions int64
	storeDown := false
	for _, f := range files {
		lines, n, objs, err := s.shipFile(ctx, f, &t, storeDown)
		shippedLines += lines
		shippedBytes += n
		objects += objs
		if err == nil && !storeDown {
			var c bool
			c, err = s.compact(ctx, f)
			if c {
				compactions++
			}
		}
		if err != nil {
			errs = append(errs, err)
			s.cfg.handle(err)
			// A store that fails stops uploads for this look: one that is
			// down would otherwise cost a timeout per file. The other files
			// are still counted. A local fault stops its own file only.
			var se *storeError
			storeDown = storeDown || errors.As(err, &se)
		}
	}
	err = errors.Join(errs...)
	now := s.cfg.now()
	s.mu.Lock()
	h := &s.health
	h.PendingLines, h.PendingBytes, h.OldestPending = t.lines, t.bytes, t.oldest
	h.ShippedLines += shippedLines
	h.ShippedBytes += shippedBytes
	h.Objects += objects
	h.Compactions += compactions
	h.LastCycle = now
	h.LastError = err
	if err != nil {
		h.LastErrorAt = now
	}
	s.mu.Unlock()
	return err
}

// shipFile ships f's complete lines past its progress, piece by piece
// (unless skip), then adds what is left to t.
func (s *Shipper) shipFile(ctx context.Context, f dayFile, t *tally, skip bool) (lines, n, objects int64, err error) {
	key := f.user + "/" + f.day
	p, ok := s.prog[key]
	if !ok {
		if p, err = loadProgress(s.r, f.user, f.day); err != nil {
			return 0, 0, 0, err
		}
		s.prog[key] = p
	}
	fh, err := s.r.OpenFile(f.rel(), openFlags, 0)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("ship: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("ship: %w", err)
	}
	if !st.Mode().IsRegular() {
		return 0, 0, 0, fmt.Errorf("ship: %s is not a regular file (%v): not shipped", f.rel(), st.Mode().Type())
	}
	size := st.Size()
	if size < p.Offset {
		return 0, 0, 0, fmt.Errorf("ship: %s: %w: the file has %d bytes, %d were shipped", f.rel(), ErrConflict, size, p.Offset)
	}
	for !skip && p.Offset < size {
		if err = ctx.Err(); err != nil {
			break
		}
		piece, rerr := readPiece(fh, p.Offset, size, s.cfg.maxPiece)
		if rerr != nil {
			err = fmt.Errorf("ship: reading %s: %w", f.rel(), rerr)
			break
		}
		if len(piece) == 0 {
			break // only a line still being written
		}
		k := Key(f.user, f.day, s.host, p.Offset)
		var until time.Time
		if s.cfg.retention > 0 {
			until = s.cfg.now().Add(min(s.cfg.retention, PieceRetention))
		}
		shipped, perr := s.put(ctx, k, piece, fh, p.Offset, size, until)
		if perr != nil && !errors.Is(perr, ErrConflict) {
			perr = &storeError{perr}
		}
		if perr != nil {
			err = fmt.Errorf("ship: %s at byte %d of %s: %w", k, p.Offset, f.rel(), perr)
			break
		}
		c := int64(bytes.Count(shipped, []byte{'\n'}))
		next := p
		next.Offset, next.Lines = p.Offset+int64(len(shipped)), p.Lines+c
		if until.After(next.PiecesUntil) {
			next.PiecesUntil = until
		}
		if serr := saveProgress(s.r, f.user, f.day, next); serr != nil {
			err = fmt.Errorf("ship: saving the progress of %s: %w", f.rel(), serr)
			break
		}
		p = next
		s.prog[key] = p
		lines += c
		n += int64(len(shipped))
		objects++
	}
	if p.Offset < size {
		if terr := tallyRest(fh, p.Offset, size, t); terr != nil && err == nil {
			err = fmt.Errorf("ship: counting %s: %w", f.rel(), terr)
		}
	}
	return lines, n, objects, err
}

// put stores piece under key once. When key already holds an object (an
// earlier run stored it and died before saving its progress), that object
// must be a whole-line prefix of the file from offset: it is then what was
// shipped, and put returns it.
func (s *Shipper) put(ctx context.Context, key string, piece []byte, fh *os.File, offset, size int64, until time.Time) ([]byte, error) {
	err := s.store.PutOnce(ctx, key, piece, until)
	if err == nil || !errors.Is(err, ErrExists) {
		return piece, err
	}
	old, gerr := s.store.Get(ctx, key)
	if gerr != nil {
		return nil, fmt.Errorf("%w; reading it back: %w", err, gerr)
	}
	if len(old) == 0 || old[len(old)-1] != '\n' || int64(len(old)) > size-offset {
		return nil, fmt.Errorf("%w: the stored piece has %d bytes", ErrConflict, len(old))
	}
	local := piece
	if len(old) > len(piece) {
		local = make([]byte, len(old))
		if _, rerr := fh.ReadAt(local, offset); rerr != nil {
			return nil, rerr
		}
	}
	if !bytes.Equal(old, local[:len(old)]) {
		return nil, ErrConflict
	}
	return old, nil
}

// maxLine bounds the bytes searched for the end of a line longer than a
// piece: a file holding no newline (a sparse file of many GiB) must cost a
// bounded read, never an allocation of its size. A variable for the tests.
var maxLine int64 = 64 << 20

// readPiece returns the complete lines from offset, at most max bytes of
// them unless the first line alone is longer; nil if there is no newline
// before size yet. A first line longer than max(maxLine, maxPiece) is an
// error wrapping ErrLineTooLong.
func readPiece(fh *os.File, offset, size int64, maxPiece int) ([]byte, error) {
	buf := make([]byte, min(int64(maxPiece), size-offset))
	if _, err := fh.ReadAt(buf, offset); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		return buf[:i+1], nil
	}
	if int64(len(buf)) == size-offset {
		return nil, nil
	}
	// The first line is longer than a piece: find its end chunk by chunk,
	// then read it whole.
	limit := offset + max(maxLine, int64(len(buf)))
	chunk := make([]byte, min(1<<20, limit-offset))
	for pos := offset + int64(len(buf)); pos < min(size, limit); {
		c := chunk[:min(int64(len(chunk)), size-pos, limit-pos)]
		n, err := fh.ReadAt(c, pos)
		if i := bytes.IndexByte(c[:n], '\n'); i >= 0 {
			line := make([]byte, pos+int64(i)+1-offset)
			if _, err := fh.ReadAt(line, offset); err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return line, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil // the file shrank: the next look says so
			}
			return nil, err
		}
		pos += int64(n)
	}
	if size >= limit {
		return nil, fmt.Errorf("%w: no newline in the %d bytes from offset %d", ErrLineTooLong, limit-offset, offset)
	}
	return nil, nil
}

// tallyRest adds the bytes and lines of fh from offset to size to t, and
// the ts of its first line.
func tallyRest(fh *os.File, offset, size int64, t *tally) error {
	t.bytes += size - offset
	r := io.NewSectionReader(fh, offset, size-offset)
	buf := make([]byte, 256<<10)
	first := true
	for {
		n, err := r.Read(buf)
		chunk := buf[:n]
		if first && n > 0 {
			first = false
			if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
				if e, perr := record.Parse(chunk[:i], time.UTC); perr == nil && !e.Time.IsZero() {
					if t.oldest.IsZero() || e.Time.Before(t.oldest) {
						t.oldest = e.Time
					}
				}
			}
		}
		t.lines += int64(bytes.Count(chunk, []byte{'\n'}))
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

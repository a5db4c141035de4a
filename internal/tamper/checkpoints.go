package tamper

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// checkCheckpoints compares the file with each of its checkpoints: the
// first Bytes bytes must be Lines lines whose chain ends at Head.
func (t *tree) checkCheckpoints(st *dayState) (int, string) {
	d := &st.d
	from := 1 // the first line the checkpoint covers that the one before did not
	for i, c := range st.cps {
		switch {
		case c.Lines > d.Lines || (c.Lines == d.Lines && d.Open):
			return min(d.Lines, c.Lines) + 1, fmt.Sprintf("the file has %d whole lines; it was sealed with %d at %s (lines deleted or the end cut)", d.Lines-b2i(d.Open), c.Lines, c.SealedAt)
		case c.Lines > 0 && d.Ends[i] != c.Bytes:
			return from, fmt.Sprintf("lines %d to %d are not the %d bytes sealed at %s", from, c.Lines, c.Bytes, c.SealedAt)
		case c.Lines > 0 && d.Heads[i].String() != c.Head:
			return from, fmt.Sprintf("lines %d to %d do not chain to the head sealed at %s (rewritten)", from, c.Lines, c.SealedAt)
		}
		from = c.Lines + 1
	}
	return 0, ""
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// readSigned reads st's checkpoints (with a public key) and tombstone. A
// file that is not a regular one, or cannot be read, is st's fault, as is
// a record that fails.
func (t *tree) readSigned(st *dayState) {
	if t.cp == nil {
		return
	}
	pub := t.cfg.PublicKey
	rel := st.row.User + "/" + st.row.Day
	data, err := readSmall(t.cp, rel+tombExt)
	switch {
	case err == nil:
		tomb, err := parseTombstone(data, pub)
		if err == nil && (tomb.User != st.row.User || tomb.Day != st.row.Day) {
			err = errors.New("it names another user or day")
		}
		if err != nil {
			st.fault = "tombstone: " + err.Error()
		} else {
			st.tomb = &tomb
		}
	case !errors.Is(err, fs.ErrNotExist) && !isNotDir(err):
		st.fault = fmt.Sprintf("tombstone %s in the checkpoint folder: %v", rel+tombExt, bare(err))
	}
	if pub == nil {
		return
	}
	f, err := openRegular(t.cp, rel+layout.Ext)
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return
	}
	if err != nil {
		if st.fault == "" {
			st.fault = fmt.Sprintf("checkpoint file %s in the checkpoint folder: %v", rel+layout.Ext, bare(err))
		}
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 64<<20))
	prev := ""
	for n := 1; sc.Scan(); n++ {
		c, err := parseCheckpoint(sc.Bytes(), pub)
		switch {
		case err != nil:
		case c.User != st.row.User || c.Day != st.row.Day:
			err = errors.New("it names another user or day")
		case c.Prev != prev:
			err = errors.New("its prev does not match the checkpoint before (one removed or reordered)")
		case len(st.cps) > 0 && (c.Lines <= st.cps[len(st.cps)-1].Lines || c.Bytes <= st.cps[len(st.cps)-1].Bytes):
			err = errors.New("it seals fewer lines or bytes than the one before")
		}
		if err != nil {
			if st.fault == "" {
				// Not c.Lines: a forged checkpoint chooses it. The first
				// line it claims beyond the last good one is sealedLines+1.
				st.fault, st.line = fmt.Sprintf("checkpoint %d of %s: %v", n, path.Join(st.row.User, st.row.Day+layout.Ext), err), sealedLines(st)+1
			}
			return
		}
		st.cps = append(st.cps, c)
		prev = digest(c.signed)
	}
	if err := sc.Err(); err != nil && st.fault == "" {
		st.fault = fmt.Sprintf("checkpoint file %s in the checkpoint folder: %v", rel+layout.Ext, bare(err))
	}
}

// openRegular opens rel through r, without following a symlink out of r
// nor waiting on a FIFO, refusing anything but a regular file.
func openRegular(r *os.Root, rel string) (*os.File, error) {
	f, err := r.OpenFile(rel, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w (%v)", errNotRegular, fi.Mode().Type())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

var errNotRegular = errors.New("not a regular file")

// readSmall reads a regular file of at most 64 KiB through r.
func readSmall(r *os.Root, rel string) ([]byte, error) {
	f, err := openRegular(r, rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<10))
}

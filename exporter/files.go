package exporter

import (
	"bytes"
	"container/list"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/toolaudit/toolaudit/internal/chain"
	"github.com/toolaudit/toolaudit/internal/layout"
)

// files keeps day files open for appending, at most max of them, closing
// the least recently used first. It is not safe for concurrent use: the
// Exporter's mutex guards it.
type files struct {
	rootPath string
	root     *os.Root
	max      int
	syncDirs bool       // fsync the folders of a newly created day file
	lru      *list.List // of *openFile, most recent first
	byPath   map[string]*list.Element
	reported map[string]bool // files already reported for wide permissions
	busy     map[string]bool // files whose lock another process held too long
	deadline time.Time       // of the waits for locks in the current export
	reports  []error         // for the error handler, once the lock is released
	chain    chainState
}

// report keeps err for the exporter's error handler, which the Exporter
// calls once it has released its lock: the handler is user code.
func (fc *files) report(err error) { fc.reports = append(fc.reports, err) }

type openFile struct {
	rel   string
	f     *os.File
	dirty bool    // written since the last fsync
	last  [1]byte // the file's last byte, read before each write
	// With chaining: the link of the last line this exporter wrote and
	// the file's size after it, valid when known.
	head  chain.Link
	size  int64
	known bool
}

func newFiles(rootPath string, max int, syncDirs, chained bool) *files {
	return &files{
		rootPath: rootPath, max: max, syncDirs: syncDirs, chain: chainState{on: chained},
		lru: list.New(), byPath: make(map[string]*list.Element), reported: make(map[string]bool), busy: make(map[string]bool),
	}
}

// get returns an append handle on rel, opening (and creating) it when
// needed. A cached handle whose file no longer has that name (deleted, or
// renamed away as logrotate does without copytruncate) is replaced, so
// lines always go to the file the readers read.
func (fc *files) get(rel, user string) (*openFile, error) {
	if el, ok := fc.byPath[rel]; ok {
		of := el.Value.(*openFile)
		if fc.named(of) {
			fc.lru.MoveToFront(el)
			return of, nil
		}
		fc.drop(rel)
	}
	f, err := fc.open(rel, user)
	if err != nil {
		return nil, err
	}
	of := &openFile{rel: rel, f: f}
	fc.byPath[rel] = fc.lru.PushFront(of)
	for fc.lru.Len() > fc.max {
		fc.drop(fc.lru.Back().Value.(*openFile).rel)
	}
	return of, nil
}

// named reports whether rel still names of's file.
func (fc *files) named(of *openFile) bool {
	open, err := of.f.Stat()
	if err != nil {
		return false
	}
	cur, err := fc.root.Lstat(of.rel)
	return err == nil && os.SameFile(open, cur)
}

// drop closes and forgets rel's handle, if open, syncing it first if dirty.
func (fc *files) drop(rel string) {
	if el, ok := fc.byPath[rel]; ok {
		of := el.Value.(*openFile)
		if of.dirty {
			if err := of.f.Sync(); err != nil {
				fc.report(fmt.Errorf("toolaudit: fsync of %s: %w", rel, err))
			}
		}
		of.f.Close()
		fc.lru.Remove(el)
		delete(fc.byPath, rel)
	}
}

// syncDirty fsyncs every file written since its last fsync.
func (fc *files) syncDirty() error {
	var errs []error
	for el := fc.lru.Front(); el != nil; el = el.Next() {
		of := el.Value.(*openFile)
		if of.dirty {
			if err := of.f.Sync(); err != nil {
				errs = append(errs, fmt.Errorf("toolaudit: fsync of %s: %w", of.rel, err))
				continue
			}
			of.dirty = false
		}
	}
	return errors.Join(errs...)
}

func (fc *files) closeAll() error {
	errs := []error{fc.syncDirty()}
	for el := fc.lru.Front(); el != nil; el = el.Next() {
		errs = append(errs, el.Value.(*openFile).f.Close())
	}
	fc.lru.Init()
	clear(fc.byPath)
	if fc.root != nil {
		errs = append(errs, fc.root.Close())
		fc.root = nil
	}
	return errors.Join(errs...)
}

// open opens rel for appending through the os.Root, so that no symlink
// leads outside the root, creating the root and user folders (0700) and
// the file (0600) as needed.
func (fc *files) open(rel, user string) (*os.File, error) {
	if fc.root == nil {
		if err := fc.openRoot(); err != nil {
			return nil, err
		}
	}
	f, err := fc.root.OpenFile(rel, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = fc.create(rel, user)
	}
	if err != nil {
		return nil, fmt.Errorf("opening: %w", bare(err))
	}
	// A FIFO planted as a day file opens (O_RDWR does not wait for a
	// reader) and takes 64 KiB of lines that no one reads, then blocks the
	// writes for ever.
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file (%v)", st.Mode().Type())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	fc.checkPerm(rel, st)
	return f, nil
}

// create makes rel and the folders above it. With syncDirs, the folders
// that gained an entry are fsynced, so the new file survives a crash.
func (fc *files) create(rel, user string) (*os.File, error) {
	dir := layout.UserDir(user)
	_, statErr := fc.root.Stat(dir)
	if statErr != nil {
		err := fc.root.MkdirAll(dir, 0o700)
		if errors.Is(err, fs.ErrNotExist) {
			// The root itself was removed: make it again.
			fc.root.Close()
			fc.root = nil
			if err = fc.openRoot(); err == nil {
				err = fc.root.MkdirAll(dir, 0o700)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	f, err := fc.root.OpenFile(rel, os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first.
		return fc.root.OpenFile(rel, os.O_RDWR|os.O_APPEND, 0)
	}
	if err != nil || !fc.syncDirs {
		return f, err
	}
	// fsync each folder that gained an entry: the file's, and when the
	// folders were new, the user's and the root.
	dirs := []string{dir}
	if statErr != nil {
		dirs = append(dirs, path.Dir(dir), ".")
	}
	for _, d := range dirs {
		if err := fc.syncDir(d); err != nil {
			fc.report(fmt.Errorf("toolaudit: fsync of folder %s in %s: %w", d, fc.rootPath, err))
		}
	}
	return f, nil
}

func (fc *files) syncDir(dir string) error {
	d, err := fc.root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// checkPerm reports, once per file, a day file readable or writable by
// others than its owner. It is left as it is: the operator chose it.
func (fc *files) checkPerm(rel string, st os.FileInfo) {
	if fc.reported[rel] {
		return
	}
	if st.Mode().Perm()&0o077 != 0 {
		fc.reported[rel] = true
		fc.report(fmt.Errorf("toolaudit: audit file %s in %s has permissions %v, wider than 0600; left as it is", rel, fc.rootPath, st.Mode().Perm()))
	}
}

// bare is err without the path of a *fs.PathError: the caller names the
// file once, relative to the root.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (fc *files) openRoot() error {
	if err := os.MkdirAll(fc.rootPath, 0o700); err != nil {
		return fmt.Errorf("toolaudit: creating audit root: %w", err)
	}
	r, err := os.OpenRoot(fc.rootPath)
	if err != nil {
		return fmt.Errorf("toolaudit: opening audit root: %w", err)
	}
	fc.root = r
	return nil
}

// append writes data, whole lines, at the end of of's file in one write,
// under the file's advisory lock. It first terminates a torn line left
// there by another writer (killed in the middle of a write, or one that
// does not lock), so that data's first line is not glued to it: the check
// must be under the same lock as the write, or another process could
// append between them. A write cut short (a full disk) leaves no fragment
// of its own: see cutFragment. With chaining, the lines are chained
// under the same lock, to the file's actual last link (see link). It
// returns the bytes of data written as whole lines.
func (fc *files) append(of *openFile, data []byte) (int, error) {
	// A file whose lock was held too long is tried once, without waiting,
	// until it is free again: a lock held for ever costs one wait, not one
	// per export.
	deadline := fc.deadline
	if fc.busy[of.rel] {
		deadline = time.Time{}
	}
	if err := lock(of.f, deadline); err != nil {
		fc.busy[of.rel] = true
		return 0, fmt.Errorf("locking: %w", err)
	}
	delete(fc.busy, of.rel)
	defer unlock(of.f)
	size, err := endLine(of.f, &of.last)
	if err != nil {
		return 0, fmt.Errorf("checking for a torn line at the end: %w", err)
	}
	out := data
	if fc.chain.on {
		if out, err = fc.link(of, data, size); err != nil {
			return 0, fmt.Errorf("reading the chain's head: %w", err)
		}
	}
	of.dirty = true
	if testHookBeforeWrite != nil {
		testHookBeforeWrite(of.f)
	}
	n, err := of.f.Write(out)
	whole := n
	switch {
	case err == nil:
		if err = unglue(of.f, out, &of.last); err != nil {
			err = fmt.Errorf("checking that the first line is whole: %w", err)
		}
	case n > 0:
		whole = bytes.LastIndexByte(out[:n], '\n') + 1
		if whole < n {
			if cerr := cutFragment(of.f, int64(n-whole)); cerr != nil {
				err = errors.Join(err, fmt.Errorf("a fragment of %d bytes stays at the end: %w", n-whole, cerr))
			}
		}
	}
	if fc.chain.on {
		return fc.linked(of, data, size, whole), err
	}
	return whole, err
}

// cutFragment removes the last frag bytes of f, the part of a line that a
// write cut short left there. It truncates rather than appending "\n":
// on a full disk a newline may not fit, while shrinking always succeeds,
// and the line is written whole by the retry, so no torn line stays. The
// lock keeps cooperating writers out; the end of our write (the offset an
// O_APPEND write leaves) equal to the size shows that no writer that does
// not lock appended after it either. Otherwise the fragment is left to
// endLine, which terminates it before the next write.
func cutFragment(f *os.File, frag int64) error {
	end, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if size != end {
		return fmt.Errorf("another writer appended after it (file size %d, our write ended at %d)", size, end)
	}
	return f.Truncate(end - frag)
}

// testHookBeforeWrite, when set by a test, runs between the check for a
// torn line and the write, where a writer that does not lock can append.
var testHookBeforeWrite func(*os.File)

// unglue makes sure that out's first line is not glued to part of a line:
// a writer that does not lock (the reference module, killed in the middle
// of a line) can append between endLine's check and the write, and readers
// skip a glued line. The byte before the write tells: the offset an
// O_APPEND write leaves is its end. When nothing was appended after out,
// out is cut off, the fragment ended and out written again, so that the
// fragment is a torn line of its own and out's lines (and links) are
// whole; when something was, only out's first line is written again. A
// few tries, as the writer may append again.
func unglue(f *os.File, out []byte, last *[1]byte) error {
	if bytes.IndexByte(out, '\n') < 0 {
		return nil // not whole lines: nothing of ours to tell apart
	}
	for range 3 {
		end, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		start := end - int64(len(out))
		if start <= 0 {
			return nil
		}
		if _, err := f.ReadAt(last[:], start-1); err != nil {
			return err
		}
		if last[0] == '\n' {
			return nil
		}
		size, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			return err
		}
		if size == end {
			err = f.Truncate(start)
		} else {
			out = out[:bytes.IndexByte(out, '\n')+1]
		}
		if err != nil {
			return err
		}
		if _, err := endLine(f, last); err != nil {
			return err
		}
		if _, err := f.Write(out); err != nil {
			return err
		}
	}
	return nil
}

// endLine appends a newline when f does not end with one, and returns
// f's size then. last is a buffer for the last byte, kept by the caller so
// that it is not allocated at each write.
func endLine(f *os.File, last *[1]byte) (int64, error) {
	// Seek, not Stat: the size without building a FileInfo. The offset
	// does not matter to a file opened with O_APPEND.
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil || size == 0 {
		return size, err
	}
	if _, err := f.ReadAt(last[:], size-1); err != nil && !errors.Is(err, io.EOF) {
		return size, err
	}
	if last[0] == '\n' {
		return size, nil
	}
	n, err := f.Write([]byte{'\n'})
	return size + int64(n), err
}

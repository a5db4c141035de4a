package exporter

import (
	"container/list"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// files keeps day files open for appending, at most max of them, closing
// the least recently used first. It is not safe for concurrent use: the
// Exporter's mutex guards it.
type files struct {
	rootPath string
	root     *os.Root
	max      int
	lru      *list.List // of *openFile, most recent first
	byPath   map[string]*list.Element
}

type openFile struct {
	rel string
	f   *os.File
}

func newFiles(rootPath string, max int) *files {
	return &files{rootPath: rootPath, max: max, lru: list.New(), byPath: make(map[string]*list.Element)}
}

// get returns an append handle on rel, opening (and creating) it when
// needed. A cached handle whose file was deleted meanwhile is replaced, so
// lines never go to an unlinked inode.
func (fc *files) get(rel, user string) (*os.File, error) {
	if el, ok := fc.byPath[rel]; ok {
		of := el.Value.(*openFile)
		if !unlinked(of.f) {
			fc.lru.MoveToFront(el)
			return of.f, nil
		}
		fc.drop(rel)
	}
	f, err := fc.open(rel, user)
	if err != nil {
		return nil, err
	}
	fc.byPath[rel] = fc.lru.PushFront(&openFile{rel: rel, f: f})
	for fc.lru.Len() > fc.max {
		fc.drop(fc.lru.Back().Value.(*openFile).rel)
	}
	return f, nil
}

// drop closes and forgets rel's handle, if open.
func (fc *files) drop(rel string) {
	if el, ok := fc.byPath[rel]; ok {
		el.Value.(*openFile).f.Close()
		fc.lru.Remove(el)
		delete(fc.byPath, rel)
	}
}

func (fc *files) closeAll() error {
	var errs []error
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
// the file (0600) as needed, then makes sure a line appended to it starts
// on a line of its own.
func (fc *files) open(rel, user string) (*os.File, error) {
	if fc.root == nil {
		if err := fc.openRoot(); err != nil {
			return nil, err
		}
	}
	const flag = os.O_RDWR | os.O_APPEND | os.O_CREATE
	f, err := fc.root.OpenFile(rel, flag, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err = fc.root.MkdirAll(layout.UserDir(user), 0o700); errors.Is(err, fs.ErrNotExist) {
			// The root itself was removed: make it again.
			fc.root.Close()
			fc.root = nil
			if err = fc.openRoot(); err == nil {
				err = fc.root.MkdirAll(layout.UserDir(user), 0o700)
			}
		}
		if err == nil {
			f, err = fc.root.OpenFile(rel, flag, 0o600)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("toolaudit: opening audit file %s in %s: %w", rel, fc.rootPath, err)
	}
	if err := terminateTornLine(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("toolaudit: checking the end of audit file %s in %s: %w", rel, fc.rootPath, err)
	}
	return f, nil
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

// terminateTornLine appends a newline when the file does not end with one,
// as after a writer was killed mid-line, so the next line is not glued to
// the torn one (readers skip the torn line). An advisory lock keeps two
// processes from both doing it.
func terminateTornLine(f *os.File) error {
	if err := lock(f); err != nil {
		return err
	}
	defer unlock(f)
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], st.Size()-1); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err = f.Write([]byte{'\n'})
	return err
}

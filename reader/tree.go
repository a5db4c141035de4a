package reader

import (
	"errors"
	"os"
	"sync/atomic"
)

// tree is an open audit root. Every open goes through it, so no path or
// symlink leads outside the root: through os.Root, or on Linux through one
// openat2(RESOLVE_BENEATH) call, which refuses the same paths in one system
// call instead of one per path component (what makes RecentAll across a
// thousand users cheap).
type tree struct {
	root *os.Root
	dir  *os.File // the root folder, for openBeneath; nil when unavailable
	// noBeneath is set once openat2 turned out unavailable (seccomp, old
	// kernels): every open then goes through root.
	noBeneath atomic.Bool
}

func openTree(path string) (*tree, error) {
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	t := &tree{root: root}
	if beneathSupported() {
		if dir, err := os.Open(path); err == nil {
			t.dir = dir
		}
	}
	return t, nil
}

// Open opens name, relative to the root, for reading, without waiting for
// a writer if it is a FIFO (see nonBlock): callers check what they opened.
// It is safe for concurrent use.
func (t *tree) Open(name string) (*os.File, error) {
	if t.dir != nil && !t.noBeneath.Load() {
		f, err := openBeneath(t.dir, name)
		if !errors.Is(err, errBeneathUnsupported) {
			return f, err
		}
		t.noBeneath.Store(true)
	}
	return t.root.OpenFile(name, os.O_RDONLY|nonBlock, 0)
}

func (t *tree) Close() error {
	if t.dir != nil {
		t.dir.Close()
	}
	return t.root.Close()
}

var errBeneathUnsupported = errors.New("openat2 unsupported")

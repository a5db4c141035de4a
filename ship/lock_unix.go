//go:build unix

package ship

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// lockRoot takes the state folder's lock, held for the shipper's life and
// released by the kernel when its process dies, so two shippers never
// work on one root and a killed one never blocks the next.
func lockRoot(r *os.Root) (*os.File, error) {
	if err := r.MkdirAll(StateDir, 0o700); err != nil {
		return nil, err
	}
	f, err := r.OpenFile(filepath.Join(StateDir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrBusy, r.Name())
		}
		return nil, err
	}
	removeTemps(r)
	return f, nil
}

// removeTemps removes the progress files being written when a shipper
// died, left as *.tmp. It goes through r and into no symbolic link, so a
// link under .ship/progress cannot make it remove files elsewhere.
func removeTemps(r *os.Root) {
	dir := filepath.Join(StateDir, "progress")
	users, _ := fs.ReadDir(r.FS(), filepath.ToSlash(dir))
	for _, u := range users {
		if !u.IsDir() {
			continue // a link, too
		}
		files, _ := fs.ReadDir(r.FS(), filepath.ToSlash(filepath.Join(dir, u.Name())))
		for _, f := range files {
			if f.Type().IsRegular() && strings.HasSuffix(f.Name(), ".tmp") {
				r.Remove(filepath.Join(dir, u.Name(), f.Name()))
			}
		}
	}
}

//go:build unix

package ship

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockRoot takes the state folder's lock, held for the shipper's life and
// released by the kernel when its process dies, so two shippers never
// work on one root and a killed one never blocks the next.
func lockRoot(root string) (*os.File, error) {
	dir := filepath.Join(root, StateDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrBusy, root)
		}
		return nil, err
	}
	// Progress files being written when a shipper died are left as *.tmp.
	if tmps, _ := filepath.Glob(filepath.Join(dir, "progress", "*", "*.tmp")); len(tmps) > 0 {
		for _, tmp := range tmps {
			os.Remove(tmp)
		}
	}
	return f, nil
}

//go:build !unix

package ship

import (
	"os"
	"path/filepath"
)

// lockRoot opens the lock file without locking it: outside Unix nothing
// keeps two shippers off one root (they would still store no line twice,
// as each key is written once).
func lockRoot(r *os.Root) (*os.File, error) {
	if err := r.MkdirAll(StateDir, 0o700); err != nil {
		return nil, err
	}
	return r.OpenFile(filepath.Join(StateDir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
}

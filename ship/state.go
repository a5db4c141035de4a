package ship

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// StateDir is the folder under the root that holds a shipper's state. It
// starts with '.', which no user name may, so readers never take it for a
// user.
const StateDir = ".ship"

// progress is what has been shipped of one day file: its first Offset
// bytes, which hold Lines lines; the bytes its compaction covers (0: not
// compacted; a single piece is left as it is and covers them itself);
// whether the pieces it covers are deleted; and the latest retention given
// to a piece, before which they cannot be.
type progress struct {
	Offset        int64     `json:"offset"`
	Lines         int64     `json:"lines"`
	Compacted     int64     `json:"compacted,omitempty"`
	PiecesDeleted bool      `json:"pieces_deleted,omitempty"`
	PiecesUntil   time.Time `json:"pieces_until,omitzero"`
}

// progressPath is relative to the root: state is read and written through
// an os.Root, so a symbolic link under .ship cannot lead outside it.
func progressPath(user, day string) string {
	return filepath.Join(StateDir, "progress", user, day+".json")
}

func loadProgress(r *os.Root, user, day string) (progress, error) {
	var p progress
	b, err := r.ReadFile(progressPath(user, day))
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("ship: progress of %s/%s: %w", user, day, err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("ship: progress of %s/%s: %w", user, day, err)
	}
	return p, nil
}

// saveProgress replaces the progress file through a renamed temporary
// file, so a crash leaves the old or the new progress, never a torn one.
// The file is synced before the rename and the folder after it: progress
// that a crash took back would only make the next run find its pieces
// already stored (ErrExists), which it checks and skips.
func saveProgress(r *os.Root, user, day string, p progress) error {
	path := progressPath(user, day)
	dir := filepath.Dir(path)
	if err := r.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, _ := json.Marshal(p)
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmpName := filepath.Join(dir, day+"."+hex.EncodeToString(rnd[:])+".tmp")
	tmp, err := r.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.Rename(tmpName, path)
	}
	if err != nil {
		r.Remove(tmpName)
		return err
	}
	if d, err := r.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// validName reports whether s can be a host part of a key: 1 to 64 ASCII
// letters, digits, '.', '_' or '-', not starting with '.'.
func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// hostName returns the host name kept in the state folder, making it the
// first time: the hostname, cleaned, and 8 random hex digits.
func hostName(r *os.Root) (string, error) {
	path := filepath.Join(StateDir, "host")
	if b, err := r.ReadFile(path); err == nil {
		name := strings.TrimSpace(string(b))
		if !validName(name) {
			return "", fmt.Errorf("ship: host name %q in %s is not valid", name, path)
		}
		return name, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	h, _ := os.Hostname()
	var clean []byte
	for i := 0; i < len(h) && len(clean) < 48; i++ {
		if c := h[i]; validName(string(c)) || c == '.' {
			clean = append(clean, c)
		}
	}
	if len(clean) == 0 || clean[0] == '.' {
		clean = append([]byte("host"), clean...)
	}
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	name := string(clean) + "-" + hex.EncodeToString(rnd[:])
	if err := r.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := r.WriteFile(tmp, []byte(name+"\n"), 0o600); err != nil {
		return "", err
	}
	// A second shipper racing this one keeps whichever name landed.
	if err := r.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		r.Remove(tmp)
		return "", err
	}
	r.Remove(tmp)
	return hostName(r)
}

// Shipped returns how many bytes of user's day file under root a shipper
// has stored, by its progress file (0 when none): what a command that
// deletes local files must leave alone past that offset.
func Shipped(root, user, day string) (int64, error) {
	if err := layout.ValidateUser(user); err != nil {
		return 0, err
	}
	if _, err := layout.ParseDay(day, time.UTC); err != nil {
		return 0, err
	}
	r, err := os.OpenRoot(root)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer r.Close()
	p, err := loadProgress(r, user, day)
	return p.Offset, err
}

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

func progressPath(root, user, day string) string {
	return filepath.Join(root, StateDir, "progress", user, day+".json")
}

func loadProgress(root, user, day string) (progress, error) {
	var p progress
	b, err := os.ReadFile(progressPath(root, user, day))
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, err
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
func saveProgress(root, user, day string, p progress) error {
	path := progressPath(root, user, day)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, _ := json.Marshal(p)
	tmp, err := os.CreateTemp(dir, day+".*.tmp")
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
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if d, err := os.Open(dir); err == nil {
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
func hostName(root string) (string, error) {
	path := filepath.Join(root, StateDir, "host")
	if b, err := os.ReadFile(path); err == nil {
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
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	name := string(clean) + "-" + hex.EncodeToString(r[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(name+"\n"), 0o600); err != nil {
		return "", err
	}
	// A second shipper racing this one keeps whichever name landed.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		os.Remove(tmp)
		return "", err
	}
	os.Remove(tmp)
	return hostName(root)
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
	p, err := loadProgress(root, user, day)
	return p.Offset, err
}

package reader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// UserError is the error of one user whose audit folder or day file cannot
// be read. Reads across users return it beside the other users' entries
// (several are joined with errors.Join; find them with errors.As); the
// iterators yield it and go on.
type UserError struct {
	User string // the user whose folder or file was refused
	Err  error  // what was wrong, naming the file
}

func (e *UserError) Error() string { return "toolaudit: user " + e.User + ": " + e.Err.Error() }

// Unwrap returns e.Err.
func (e *UserError) Unwrap() error { return e.Err }

// isUserError reports whether err concerns one user only: reads go on.
func isUserError(err error) bool {
	var ue *UserError
	return errors.As(err, &ue)
}

// fileError says what failed on rel, a path relative to the root, without
// repeating the path an *fs.PathError holds.
func fileError(what, rel string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s %s: %w", what, rel, err)
}

// openUserDir opens user's folder of day files; nil without error when
// there is none (missing, or a file in its place).
func openUserDir(root *tree, user string) (*os.File, error) {
	rel := layout.UserDir(user)
	d, err := root.Open(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil
		}
		return nil, &UserError{User: user, Err: fileError("opening", rel, err)}
	}
	return d, nil
}

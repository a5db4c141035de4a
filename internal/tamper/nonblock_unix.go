//go:build unix

package tamper

import (
	"errors"
	"syscall"
)

// nonBlock opens without waiting: opening a FIFO planted as a day file
// for reading otherwise waits for a writer for ever.
const nonBlock = syscall.O_NONBLOCK

var errNotDir = syscall.ENOTDIR

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

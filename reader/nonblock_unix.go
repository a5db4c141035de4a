//go:build unix

package reader

import "syscall"

// nonBlock opens without waiting: opening a FIFO for reading otherwise
// blocks until a writer opens it, which a FIFO planted as a day file never
// gets. Reads of regular files ignore it.
const nonBlock = syscall.O_NONBLOCK

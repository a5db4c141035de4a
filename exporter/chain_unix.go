//go:build unix

package exporter

import "syscall"

// nonBlock opens a previous day file without waiting: a FIFO planted in
// its place would otherwise block the writer for ever.
const nonBlock = syscall.O_NONBLOCK

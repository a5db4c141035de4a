package main

import (
	"io"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// env is what the command takes from its process, so tests can set it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     bool             // standard output is a terminal
	width          int              // its width in columns, 0 when unknown
	now            func() time.Time // the clock: what "today" and "24h ago" mean
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// terminalWidth asks the terminal for its width (TIOCGWINSZ), else $COLUMNS.
func terminalWidth(f *os.File) int {
	var ws struct{ row, col, x, y uint16 }
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws))); errno == 0 && ws.col > 0 {
		return int(ws.col)
	}
	n, _ := strconv.Atoi(os.Getenv("COLUMNS"))
	return n
}

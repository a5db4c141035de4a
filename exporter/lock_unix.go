//go:build unix

package exporter

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockTimeout bounds the waits for day files' locks in one export (see
// Exporter.lock). A writer holds a lock for one write; a process that holds
// it longer (stuck, or hostile: flock(1) runs as the agent's user too) must
// not stop every tool call, so the lines wait in the spill, reported, and
// are retried.
const lockTimeout = 2 * time.Second

// lock takes f's advisory lock, trying again with a growing pause until
// deadline; once only when it has passed.
func lock(f *os.File, deadline time.Time) error {
	for pause := 50 * time.Microsecond; ; pause = min(2*pause, 20*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("held by another process")
		}
		time.Sleep(pause)
	}
}

func unlock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

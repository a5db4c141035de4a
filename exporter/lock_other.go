//go:build !unix

package exporter

import (
	"os"
	"time"
)

// Without flock, only one process may write a root at a time.
func lock(*os.File, time.Time) error { return nil }
func unlock(*os.File) error          { return nil }

// lockTimeout is unused without flock.
const lockTimeout = 0

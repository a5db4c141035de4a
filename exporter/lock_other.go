//go:build !unix

package exporter

import "os"

// Without flock, only one process may write a root at a time.
func lock(*os.File) error   { return nil }
func unlock(*os.File) error { return nil }

// Without a link count, a deleted file is not detected.
func unlinked(*os.File) bool { return false }

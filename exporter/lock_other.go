//go:build !unix

package exporter

import "os"

// Without flock, only one process may write a root at a time.
func lock(*os.File) error   { return nil }
func unlock(*os.File) error { return nil }

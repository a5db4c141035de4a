//go:build !unix

package tamper

import "errors"

const nonBlock = 0

var errNotDir = errors.New("not a directory")

func isNotDir(error) bool { return false }

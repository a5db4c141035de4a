//go:build !unix

package reader

// nonBlock is 0 where opening a file cannot wait for a writer.
const nonBlock = 0

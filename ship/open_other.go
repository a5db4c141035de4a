//go:build !unix

package ship

import "os"

const openFlags = os.O_RDONLY

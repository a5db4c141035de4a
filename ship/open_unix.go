//go:build unix

package ship

import (
	"os"
	"syscall"
)

// openFlags open a day file without following a symbolic link and without
// waiting on a FIFO: a name swapped after the listing must not lead the
// shipper outside the root or stop it.
const openFlags = os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

package reader

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// openHow is struct open_how of openat2(2).
type openHow struct {
	flags   uint64
	mode    uint64
	resolve uint64
}

const (
	sysOpenat2          = 437 // the same number on every Linux architecture
	resolveNoMagiclinks = 0x02
	resolveBeneath      = 0x08
)

func beneathSupported() bool { return true }

// openBeneath opens name below dir with openat2(RESOLVE_BENEATH): a path
// or symlink that leaves dir fails with EXDEV, as os.Root refuses it.
func openBeneath(dir *os.File, name string) (*os.File, error) {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: name, Err: err}
	}
	how := openHow{
		flags:   uint64(syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NOCTTY | nonBlock),
		resolve: resolveBeneath | resolveNoMagiclinks,
	}
	for {
		fd, _, errno := syscall.Syscall6(sysOpenat2, dir.Fd(), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		switch errno {
		case 0:
			return os.NewFile(fd, name), nil
		case syscall.EINTR, syscall.EAGAIN:
			continue
		case syscall.ENOSYS, syscall.EPERM, syscall.E2BIG:
			// Not available (old kernel, seccomp filter): use os.Root.
			return nil, errBeneathUnsupported
		case syscall.EXDEV:
			return nil, &os.PathError{Op: "openat", Path: name, Err: errors.New("path escapes from the audit root")}
		default:
			return nil, &os.PathError{Op: "openat", Path: name, Err: errno}
		}
	}
}

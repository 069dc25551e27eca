//go:build unix

package projectfs

import (
	"os"
	"syscall"
)

// openNonblock keeps an open of a named pipe from waiting for a writer.
const openNonblock = syscall.O_NONBLOCK

// setBlocking clears O_NONBLOCK once the file is known to be regular.
func setBlocking(f *os.File) error { return syscall.SetNonblock(int(f.Fd()), false) }

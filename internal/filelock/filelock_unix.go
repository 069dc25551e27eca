//go:build unix

package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

// Lock is an exclusive lock on a file, held until Release; the kernel drops it when
// the process dies, kill -9 included.
type Lock struct{ f *os.File }

// Acquire takes the lock without waiting. When another process holds it, the error is
// a *HeldError naming that process. The lock file is opened under projectfs's rule in
// its folder (which the caller has checked): a link out of it, or a named pipe, is
// refused.
func Acquire(path string) (*Lock, error) {
	f, err := openLockFile(path, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &HeldError{Path: path, PID: strings.TrimSpace(string(b[:n]))}
		}
		return nil, err
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	return &Lock{f: f}, nil
}

// Release drops the lock.
func (l *Lock) Release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

// Held tells whether another process holds the lock at path, without taking it: a
// shared lock is tried for an instant, which an exclusive holder refuses.
func Held(path string) bool {
	f, err := openLockFile(path, os.O_RDONLY)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// openLockFile opens the lock file under projectfs's rule, its folder the boundary.
func openLockFile(path string, flag int) (*os.File, error) {
	dir, err := projectfs.OpenFolder(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	return dir.OpenFile(filepath.Base(path), flag, 0o600)
}

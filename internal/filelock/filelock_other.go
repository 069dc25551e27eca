//go:build !unix

package filelock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

// Lock is a lock file, held until Release. Without flock, a lock file that a killed
// process left behind must be removed by hand; the error says where it is.
type Lock struct{ path string }

// Acquire creates the lock file, or fails with a *HeldError when it exists.
func Acquire(path string) (*Lock, error) {
	dir, err := projectfs.OpenFolder(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	f, err := dir.OpenFile(filepath.Base(path), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, &HeldError{Path: path, Stale: true}
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprint(f, os.Getpid())
	f.Close()
	return &Lock{path: path}, nil
}

// Release removes the lock file.
func (l *Lock) Release() { os.Remove(l.path) }

// Held tells whether the lock file at path exists (without flock, a killed process's
// lock file looks held too).
func Held(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

//go:build !unix

package pipeline

import (
	"errors"
	"fmt"
	"os"
)

// runLock is held by a run for its whole length. Without flock, a lock file that a
// killed run left behind must be removed by hand; the error says where it is.
type runLock struct{ path string }

func lockRun(path string) (*runLock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%w: another run of this pipeline is in progress (or one was killed: then delete %s)", ErrRunning, path)
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprint(f, os.Getpid())
	f.Close()
	return &runLock{path: path}, nil
}

func (l *runLock) release() { os.Remove(l.path) }

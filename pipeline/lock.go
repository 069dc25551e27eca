package pipeline

import (
	"errors"
	"fmt"

	"github.com/secoda-workbench/secoda-workbench/internal/filelock"
)

// runLock is held by a run for its whole length, so that two runs of one pipeline never
// overlap.
type runLock struct{ l *filelock.Lock }

func lockRun(path string) (*runLock, error) {
	l, err := filelock.Acquire(path)
	var held *filelock.HeldError
	if errors.As(err, &held) {
		return nil, fmt.Errorf("%w: another run of this pipeline is in progress (%v); wait for it, or stop it", ErrRunning, held)
	}
	if err != nil {
		return nil, err
	}
	return &runLock{l: l}, nil
}

func (l *runLock) release() { l.l.Release() }

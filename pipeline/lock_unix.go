//go:build unix

package pipeline

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// runLock is held by a run for its whole length, so that two runs of one pipeline never
// overlap; the kernel drops it when the process dies, kill -9 included.
type runLock struct{ f *os.File }

func lockRun(path string) (*runLock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(b[:n]))
			if who != "" {
				who = " (process " + who + ")"
			}
			return nil, fmt.Errorf("%w: another run of this pipeline is in progress%s; wait for it, or stop it", ErrRunning, who)
		}
		return nil, err
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	return &runLock{f: f}, nil
}

func (l *runLock) release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

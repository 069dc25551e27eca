// Package memguard stops work whose memory the program cannot bound any other way. It
// watches the process's resident memory outside Go's heap (DuckDB's, which is C++) and
// cancels a context once it has grown past a limit. DuckDB bounds most of a query's
// memory itself (memory_limit), but not all of it: what one step of a query computes
// for its rows, and some aggregate states, live outside its buffer manager. Go's own
// memory is left out: the program bounds what it keeps of an answer, and the garbage
// collector's pace is not a query's doing.
package memguard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"time"
)

// ErrExceeded is the cause of a context Watch cancelled.
var ErrExceeded = errors.New("the process's memory grew past its limit")

// Interval is how often Watch reads the resident memory.
const Interval = 5 * time.Millisecond

// Watch returns a context that is cancelled, with a cause wrapping ErrExceeded, once the
// process's resident memory outside Go's heap (Foreign) exceeds what it was at the call
// by more than limit bytes. Where the resident memory cannot be read (not Linux), ctx is
// returned as it is, with its own cancel. stop ends the watch; call it when the work is
// done.
func Watch(ctx context.Context, limit int64) (watched context.Context, stop context.CancelFunc) {
	base, err := Foreign()
	if err != nil {
		return context.WithCancel(ctx)
	}
	watched, cancel := context.WithCancelCause(ctx)
	go func() {
		t := time.NewTicker(Interval)
		defer t.Stop()
		for {
			select {
			case <-watched.Done():
				return
			case <-t.C:
				now, err := Foreign()
				if err == nil && now-base > limit {
					cancel(fmt.Errorf("%w: %d MB outside Go's heap, %d MB more than when the work began (the limit is %d MB)",
						ErrExceeded, now>>20, (now-base)>>20, limit>>20))
					return
				}
			}
		}
	}()
	return watched, func() { cancel(context.Canceled) }
}

// goMetrics are what Go has mapped, and what of it it has given back to the system.
var goMetrics = []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}

// Foreign is the process's resident memory less what Go holds: the memory of C and
// C++ code, DuckDB's. Go's share is counted whole, so this errs low by the part of it
// that is mapped but not resident.
func Foreign() (int64, error) {
	rss, err := Resident()
	if err != nil {
		return 0, err
	}
	s := make([]metrics.Sample, len(goMetrics))
	copy(s, goMetrics)
	metrics.Read(s)
	held := int64(s[0].Value.Uint64()) - int64(s[1].Value.Uint64())
	return rss - held, nil
}

// Resident is the process's resident memory in bytes, from /proc/self/statm.
func Resident() (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("/proc/self/statm: %q", b)
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0, err
	}
	return pages * int64(os.Getpagesize()), nil
}

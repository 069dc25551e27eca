// Package filelock is an exclusive, non-waiting lock on a file: a run's lock on its
// pipeline, and a load's lock on a filesystem dataset.
package filelock

// HeldError is a lock another process holds.
type HeldError struct {
	Path string
	PID  string // the holder's process id, when it wrote one
	// Stale is set where a lock file may be left by a killed process (no flock).
	Stale bool
}

func (e *HeldError) Error() string {
	s := "held by another process"
	if e.PID != "" {
		s = "held by process " + e.PID
	}
	if e.Stale {
		s += " (or left by one that was killed: then delete " + e.Path + ")"
	}
	return s
}

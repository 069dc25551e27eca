// Package gctune sets the Go runtime's memory settings for the program (and for the
// benchmarks that measure it), so that both run with the same ones.
package gctune

import (
	"os"
	"runtime/debug"
)

// The pipeline allocates briskly but keeps little: a live heap of 10 to 30 MB, a
// million records or not. Collecting at 5x the live heap rather than 2x saves a tenth of
// a run's CPU; a soft limit keeps that headroom from growing past 100 MiB, so a run's
// memory stays flat (DuckDB's, during the load, is its own and bounded apart).
const (
	GCPercent   = 400
	MemoryLimit = 100 << 20
)

// Apply sets them, unless GOGC or GOMEMLIMIT say otherwise.
func Apply() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}

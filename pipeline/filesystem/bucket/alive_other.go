//go:build !unix

package bucket

// processAlive cannot tell here: a holder is gone only when its lease runs out.
func processAlive(int) bool { return true }

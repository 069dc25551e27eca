//go:build unix

package filetree

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// MakeFIFO makes a named pipe at path (and its folder) for a test of what is never to
// be opened. When the test ends it opens the pipe for writing, so that an open that
// blocked on it (a regression) returns rather than hangs the test binary.
func MakeFIFO(t testing.TB, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
}

//go:build unix

package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

// TestLockFileThroughALinkIsRefused: a lock file that is a link out of its folder is
// refused, and the file it leads to is neither truncated nor written (a lock used to
// write its process id there).
func TestLockFileThroughALinkIsRefused(t *testing.T) {
	dir, outside := t.TempDir(), filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(outside, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "secoda_pipeline.lock")
	if err := os.Symlink(outside, path); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(path); !errors.Is(err, projectfs.ErrOutside) {
		t.Fatalf("%v, want %v", err, projectfs.ErrOutside)
	}
	if Held(path) {
		t.Error("Held through a link out")
	}
	if b, _ := os.ReadFile(outside); string(b) != "precious\n" {
		t.Errorf("the file the link leads to was written: %q", b)
	}
}

// TestLockFileFIFOIsRefused: a named pipe as the lock file is refused at once.
func TestLockFileFIFOIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secoda_pipeline.lock")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // unblocks an open that waited (a regression)
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	done := make(chan error, 1)
	go func() {
		_, err := Acquire(path)
		Held(path)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, projectfs.ErrNotRegular) {
			t.Fatalf("%v, want %v", err, projectfs.ErrNotRegular)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Acquire blocked on a named pipe")
	}
}

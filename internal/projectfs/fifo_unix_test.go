//go:build unix

package projectfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
)

// promptly runs fn and fails the test if it does not return within a few seconds: an
// open of a FIFO blocks until someone writes to it.
func promptly(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("blocked: it opened a named pipe")
		return nil
	}
}

// TestFIFOIsRefused: a named pipe where a file is meant is refused without being
// opened, by every operation, and the pipe stays.
func TestFIFOIsRefused(t *testing.T) {
	for op, do := range operations {
		if op == "MkdirAll" {
			continue
		}
		t.Run(op, func(t *testing.T) {
			project := t.TempDir()
			filetree.MakeFIFO(t, filepath.Join(project, "CLAUDE.md"))
			err := promptly(t, func() error { return do(openT(t, project), "CLAUDE.md") })
			if op == "CreateFile" && errors.Is(err, os.ErrExist) {
				return
			}
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "CLAUDE.md: a named pipe (FIFO), not a regular file") {
				t.Fatalf("%v, want %v", err, ErrNotRegular)
			}
			if info, err := os.Lstat(filepath.Join(project, "CLAUDE.md")); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
				t.Errorf("the pipe was replaced: %v %v", info.Mode(), err)
			}
		})
	}
}

// TestFIFOThroughALink: a link inside the project to a named pipe is refused too.
func TestFIFOThroughALink(t *testing.T) {
	project := t.TempDir()
	filetree.MakeFIFO(t, filepath.Join(project, "pipe"))
	link(t, "pipe", filepath.Join(project, ".mcp.json"))
	err := promptly(t, func() error { _, err := openT(t, project).ReadFile(".mcp.json"); return err })
	if !errors.Is(err, ErrNotRegular) {
		t.Fatalf("%v, want %v", err, ErrNotRegular)
	}
}

//go:build unix

package agents

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
)

// TestNamedPipeIsRefused: a named pipe where init reads a file (opening one blocks
// until someone writes to it, and init hung there) is refused at once, without being
// opened, with a message that says what it is and what to do; init writes nothing.
func TestNamedPipeIsRefused(t *testing.T) {
	fixedHome(t)
	for _, a := range Agents {
		for _, e := range testOptions.edits(a) {
			t.Run(string(a)+"/"+e.path, func(t *testing.T) {
				dir := t.TempDir()
				fifo := filepath.Join(dir, filepath.FromSlash(e.path))
				filetree.MakeFIFO(t, fifo)
				before := filetree.Snapshot(t, dir)
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				done := make(chan []Change, 1)
				go func() {
					changes, err := Plan(ctx, dir, a, testOptions)
					if err != nil {
						t.Error(err)
					}
					done <- changes
				}()
				var changes []Change
				select {
				case changes = <-done:
				case <-ctx.Done():
					t.Fatal("init blocked on a named pipe")
				}
				c := find(t, changes, e.path)
				if c.Status != Refused || !errors.Is(c.Err, ErrNotRegular) ||
					!strings.Contains(c.Err.Error(), "a named pipe (FIFO), not a regular file") || !strings.Contains(c.Err.Error(), "replace it with a regular file") {
					t.Fatalf("%s: %s (%v), want refused as no regular file", e.path, c.Status, c.Err)
				}
				applyRefused(t, dir, changes)
				if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
					t.Errorf("init wrote: %v", after)
				}
			})
		}
	}
}

// TestCancelledInitWritesNothing: Ctrl-C or SIGTERM (the context) stops Plan, and
// Apply before it renames anything into place.
func TestCancelledInitWritesNothing(t *testing.T) {
	fixedHome(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Plan(ctx, dir, Claude, testOptions); !errors.Is(err, context.Canceled) {
		t.Errorf("Plan: %v, want %v", err, context.Canceled)
	}
	changes, err := Plan(t.Context(), dir, Claude, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx, dir, changes); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply: %v, want %v", err, context.Canceled)
	}
	if files := filetree.Snapshot(t, dir); len(files) != 0 {
		t.Errorf("a cancelled init wrote: %v", files)
	}
}

// TestApplyLosesNothingWrittenMeanwhile: a file the user changed between Plan and
// Apply is not overwritten, and then nothing is written at all.
func TestApplyLosesNothingWrittenMeanwhile(t *testing.T) {
	fixedHome(t)
	dir := t.TempDir()
	changes, err := Plan(t.Context(), dir, Claude, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "CLAUDE.md", "# Mine, written meanwhile\n")
	if err := Apply(t.Context(), dir, changes); err == nil || !strings.Contains(err.Error(), "CLAUDE.md changed while init ran: nothing was written") {
		t.Fatalf("Apply: %v", err)
	}
	want := map[string]string{"CLAUDE.md": "# Mine, written meanwhile\n"}
	if got := filetree.Snapshot(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

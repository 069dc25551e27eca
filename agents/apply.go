package agents

import (
	"context"

	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

// Status is what init did, or would do, to one file (changeset's, which deploy shares).
type Status = changeset.Status

const (
	Created   = changeset.Created
	Updated   = changeset.Updated
	Unchanged = changeset.Unchanged
	Refused   = changeset.Refused
)

// Change is one file's outcome.
type Change = changeset.Change

// ErrOutside is a file init would read or write outside the project folder, through
// ".." or a symbolic link (projectfs's rule, which every file of a project follows).
var ErrOutside = projectfs.ErrOutside

// ErrNotRegular is a file init would merge into that is a named pipe, a device, a
// socket or a folder: it is never opened.
var ErrNotRegular = projectfs.ErrNotRegular

// Plan computes every file's change for an agent without writing anything (see
// changeset.Plan). It stops when ctx is done.
func Plan(ctx context.Context, dir string, a Agent, o Options) ([]Change, error) {
	var edits []changeset.Edit
	for _, e := range o.edits(a) {
		edits = append(edits, changeset.Edit{Path: e.path, What: e.what, Compute: e.compute})
	}
	return changeset.Plan(ctx, dir, edits, o.Force)
}

// Apply writes the planned changes, all of them or none (see changeset.Apply).
func Apply(ctx context.Context, dir string, changes []Change) error {
	return changeset.Apply(ctx, dir, "init", changes)
}

// Diff is a unified diff of one change, for --dry-run.
func Diff(c Change) string { return changeset.Diff(c) }

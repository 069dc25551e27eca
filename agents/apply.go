package agents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

// Status is what init did, or would do, to one file.
type Status string

const (
	Created   Status = "created"
	Updated   Status = "updated"
	Unchanged Status = "unchanged"
	Refused   Status = "refused" // edited by the user, malformed, not a regular file, or outside the project
)

// Change is one file's outcome.
type Change struct {
	Path     string // relative to the project
	What     string
	Status   Status
	Old, New []byte
	Err      error // why it was refused
}

// ErrOutside is a file init would read or write outside the project folder, through
// ".." or a symbolic link (projectfs's rule, which every file of a project follows).
var ErrOutside = projectfs.ErrOutside

// ErrNotRegular is a file init would merge into that is a named pipe, a device, a
// socket or a folder: it is never opened.
var ErrNotRegular = projectfs.ErrNotRegular

// Plan computes every file's change for an agent without writing anything. Files are
// read under projectfs's rule: a link inside the project is followed, one that leads
// out is refused, and only regular files are opened. It stops when ctx is done.
func Plan(ctx context.Context, dir string, a Agent, o Options) ([]Change, error) {
	project, err := projectfs.Open(dir)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, e := range o.edits(a) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := Change{Path: e.path, What: e.what}
		old, err := project.ReadFile(e.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			old = nil
		case err != nil:
			c.Status, c.Err = Refused, reason(err)
			out = append(out, c)
			continue
		}
		c.Old = old
		c.New, err = e.compute(old, o.Force)
		switch {
		case err != nil:
			c.Status, c.Err = Refused, err
		case old == nil:
			c.Status = Created
		case string(old) == string(c.New):
			c.Status = Unchanged
		default:
			c.Status = Updated
		}
		out = append(out, c)
	}
	return out, nil
}

// reason is a refusal of projectfs without the path, which a Change names already.
func reason(err error) error {
	var pe *projectfs.Error
	if errors.As(err, &pe) {
		return refusal{pe}
	}
	return err
}

type refusal struct{ e *projectfs.Error }

func (r refusal) Error() string { return r.e.Reason() }
func (r refusal) Unwrap() error { return r.e }

// Apply writes the planned changes, all of them or none: when any change was refused,
// nothing is written; otherwise every file is first written in full beside its place
// (through a temporary file) and only then are they all renamed into place. A file
// that changed since Plan read it, a failure while writing, or ctx done before the
// renames leaves every file as it was (the renames, last, are what rarely fails).
// Refused and unchanged files are not touched; a link inside the project keeps
// pointing where it did (its target is written).
func Apply(ctx context.Context, dir string, changes []Change) error {
	var refused []string
	for _, c := range changes {
		if c.Status == Refused {
			refused = append(refused, fmt.Sprintf("%s: %v", c.Path, c.Err))
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("nothing was written, since init refuses:\n  %s", strings.Join(refused, "\n  "))
	}
	project, err := projectfs.Open(dir)
	if err != nil {
		return err
	}
	var staged []*projectfs.Staged
	var news []bool
	discard := func() {
		for i := len(staged) - 1; i >= 0; i-- {
			staged[i].Discard()
		}
	}
	for _, c := range changes {
		if c.Status != Created && c.Status != Updated {
			continue
		}
		if err := ctx.Err(); err != nil {
			discard()
			return err
		}
		// Nothing the user wrote since Plan is lost.
		now, err := project.ReadFile(c.Path)
		if errors.Is(err, fs.ErrNotExist) {
			now, err = nil, nil
		}
		if err != nil {
			discard()
			return fmt.Errorf("%s: %w; nothing was written", c.Path, reason(err))
		}
		if (now == nil) != (c.Old == nil) || !bytes.Equal(now, c.Old) {
			discard()
			return fmt.Errorf("%s changed while init ran: nothing was written; run init again", c.Path)
		}
		s, err := project.Stage(c.Path, c.New, 0o644)
		if err != nil {
			discard()
			return fmt.Errorf("%s: %w; nothing was written", c.Path, reason(err))
		}
		staged = append(staged, s)
		news = append(news, c.Status == Created)
	}
	if err := ctx.Err(); err != nil {
		discard()
		return err
	}
	for i, s := range staged {
		commit := s.Commit
		if news[i] {
			commit = s.CommitNew // a file that appeared since Plan is kept
		}
		if err := commit(); err != nil {
			discard()
			return err
		}
	}
	return nil
}

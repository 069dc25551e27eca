// Package changeset is how a command writes the files it generates into a project
// (`init --agent`, `deploy`): every file's change is planned first without writing
// anything, shown as a diff for --dry-run, and applied all or none. Each file's new
// content is computed from its current one by the command (merging into it, or
// refusing a file the user edited), so a second run changes nothing.
package changeset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

// Status is what a command did, or would do, to one file.
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

// Edit is one file a command writes: Compute turns the current content (nil when the
// file does not exist) into the new one, or refuses with an error saying why.
type Edit struct {
	Path    string // relative to the project, with /
	What    string // for the report: "MCP server", "the systemd timer", ...
	Compute func(old []byte, force bool) ([]byte, error)
}

// Plan computes every edit's change without writing anything. Files are read under
// projectfs's rule: a link inside the project is followed, one that leads out is
// refused, and only regular files are opened. It stops when ctx is done.
func Plan(ctx context.Context, dir string, edits []Edit, force bool) ([]Change, error) {
	project, err := projectfs.Open(dir)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, e := range edits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := Change{Path: e.Path, What: e.What}
		old, err := project.ReadFile(e.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			old = nil
		case err != nil:
			c.Status, c.Err = Refused, Reason(err)
			out = append(out, c)
			continue
		}
		c.Old = old
		c.New, err = e.Compute(old, force)
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

// Reason is a refusal of projectfs without the path, which a Change names already.
func Reason(err error) error {
	var pe *projectfs.Error
	if errors.As(err, &pe) {
		return refusal{pe}
	}
	return err
}

type refusal struct{ e *projectfs.Error }

func (r refusal) Error() string { return r.e.Reason() }
func (r refusal) Unwrap() error { return r.e }

// Refusals lists the refused changes as "path: why".
func Refusals(changes []Change) []string {
	var out []string
	for _, c := range changes {
		if c.Status == Refused {
			out = append(out, fmt.Sprintf("%s: %v", c.Path, c.Err))
		}
	}
	return out
}

// Apply writes the planned changes, all of them or none: when any change was refused,
// nothing is written; otherwise every file is first written in full beside its place
// (through a temporary file) and only then are they all renamed into place. A file
// that changed since Plan read it, a failure while writing, or ctx done before the
// renames leaves every file as it was (the renames, last, are what rarely fails).
// Refused and unchanged files are not touched; a link inside the project keeps
// pointing where it did (its target is written). command names the command in
// messages ("init", "deploy").
func Apply(ctx context.Context, dir, command string, changes []Change) error {
	if refused := Refusals(changes); len(refused) > 0 {
		return fmt.Errorf("nothing was written, since %s refuses:\n  %s", command, strings.Join(refused, "\n  "))
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
			return fmt.Errorf("%s: %w; nothing was written", c.Path, Reason(err))
		}
		if (now == nil) != (c.Old == nil) || !bytes.Equal(now, c.Old) {
			discard()
			return fmt.Errorf("%s changed while %s ran: nothing was written; run %s again", c.Path, command, command)
		}
		s, err := project.Stage(c.Path, c.New, 0o644)
		if err != nil {
			discard()
			return fmt.Errorf("%s: %w; nothing was written", c.Path, Reason(err))
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

// StatusText is a change's status as --dry-run tells it: "to be created", "unchanged".
func StatusText(c Change) string {
	switch c.Status {
	case Created:
		return "to be created"
	case Updated:
		return "to be updated"
	case Refused:
		return "as it is (refused: " + c.Err.Error() + ")"
	}
	return "unchanged"
}

// Digest is what a managed file's or block's mark records of its content: the first
// 12 hex digits of its SHA-256, so that an edit by hand is told from the tool's own text.
func Digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

package agents

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Status is what init did, or would do, to one file.
type Status string

const (
	Created   Status = "created"
	Updated   Status = "updated"
	Unchanged Status = "unchanged"
	Refused   Status = "refused" // edited by the user, malformed, or outside the project
)

// Change is one file's outcome.
type Change struct {
	Path     string // relative to the project
	What     string
	Status   Status
	Old, New []byte
	Err      error // why it was refused
}

// Plan computes every file's change for an agent without writing anything.
func Plan(dir string, a Agent, o Options) ([]Change, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, e := range o.edits(a) {
		c := Change{Path: e.path, What: e.what}
		full, err := inside(root, e.path)
		if err != nil {
			c.Status, c.Err = Refused, err
			out = append(out, c)
			continue
		}
		old, err := os.ReadFile(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			old = nil
		case err != nil:
			c.Status, c.Err = Refused, err
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

// Apply writes the planned changes: each file whole, through a temporary file renamed
// over it. Refused and unchanged files are not touched.
func Apply(dir string, changes []Change) error {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.Status != Created && c.Status != Updated {
			continue
		}
		full, err := inside(root, c.Path)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Path, err)
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		// The folder was checked before it existed; check again now it does.
		if _, err := inside(root, c.Path); err != nil {
			return fmt.Errorf("%s: %w", c.Path, err)
		}
		// A link inside the project (CLAUDE.md -> AGENTS.md) stays a link: write its
		// target, which inside has just checked.
		if target, err := filepath.EvalSymlinks(full); err == nil {
			full = target
		}
		mode := fs.FileMode(0o644)
		if info, err := os.Stat(full); err == nil {
			mode = info.Mode().Perm()
		}
		tmp, err := os.CreateTemp(filepath.Dir(full), "."+filepath.Base(full)+".tmp-*")
		if err != nil {
			return err
		}
		_, werr := tmp.Write(c.New)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), mode)); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		if err := os.Rename(tmp.Name(), full); err != nil {
			os.Remove(tmp.Name())
			return err
		}
	}
	return nil
}

// ErrOutside is a file init would write outside the project folder.
var ErrOutside = errors.New("outside the project folder")

// inside resolves rel under root and refuses a path that leaves it, through .. or a
// symbolic link in any folder on the way (or the file itself).
func inside(root, rel string) (string, error) {
	full := filepath.Join(root, filepath.FromSlash(rel))
	if r, err := filepath.Rel(root, full); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", ErrOutside
	}
	// The deepest part that exists, with its links resolved, must stay under root.
	probe, links := full, 0
	for {
		resolved, err := filepath.EvalSymlinks(probe)
		if err == nil {
			r, err := filepath.Rel(root, resolved)
			if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				return "", fmt.Errorf("%w (a symbolic link leads to %s)", ErrOutside, resolved)
			}
			return full, nil
		}
		// A link to what does not exist yet: check where it leads instead.
		if info, err := os.Lstat(probe); err == nil && info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(probe)
			if err != nil {
				return "", err
			}
			if links == 40 {
				return "", errors.New("too many symbolic links")
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(probe), target)
			}
			probe, links = target, links+1
			continue
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			return full, nil
		}
		probe = parent
	}
}

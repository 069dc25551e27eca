// Package projectfs is the one rule for every file secoda-workbench reads or writes in a
// project: the config, the files init writes for an agent, the work folder with its
// lock and load packages, the DuckDB file and the filesystem destination's folder.
// A project can come from anyone (a cloned repository), so what it holds must not make
// the program read or write elsewhere, nor hang it:
//
//   - A path must stay inside its folder (the project folder, which holds
//     secoda_pipeline.toml, with its own links resolved): no "..", no absolute path
//     elsewhere, and every symbolic link on the way is resolved and must lead inside
//     too. A link inside the project to a place inside it is followed (CLAUDE.md linked
//     to AGENTS.md is a common setup); a link that leads out, or climbs above the
//     folder on its way, is refused with an error naming the link, where it points and
//     what to do. Absolute links are resolved like relative ones.
//   - Only regular files are opened, and folders where a folder is meant. A named pipe,
//     device or socket named like one of our files is refused without being opened
//     (opening a FIFO blocks until someone writes to it).
//   - A file is written whole: into a temporary file in its folder, synced, then
//     renamed over it. A link inside the project therefore keeps pointing where it did
//     (its target is replaced), and a reader never sees half a file.
//   - Removing or renaming acts on the entry itself, never on what a link points to.
//
// Every operation goes through an os.Root of the folder, so a link changed between the
// check and the use cannot lead out either. Paths handed to code that opens them by
// name (DuckDB) are checked with Path first; that check cannot stop a race, which the
// threat (a hostile repository's committed links) does not need.
//
// A part of the program that is given a folder (a load package, a lock's folder, the
// filesystem destination's folder) applies the same rule with that folder as its
// boundary, through OpenFolder; its caller has applied the rule to the folder itself.
package projectfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The kinds of refusal; an *Error wraps one.
var (
	// ErrOutside is a path that leaves its folder, through "..", an absolute path or a
	// symbolic link.
	ErrOutside = errors.New("outside the project folder")
	// ErrNotRegular is a path that exists but is not a regular file (a folder, a named
	// pipe, a device, a socket).
	ErrNotRegular = errors.New("not a regular file")
	// ErrNotFolder is a path meant as a folder that is something else.
	ErrNotFolder = errors.New("not a folder")
	// ErrLinkLoop is a chain of symbolic links too long to be anything but a loop.
	ErrLinkLoop = errors.New("too many symbolic links")
)

// maxLinks is how many links one path may pass through, as Linux allows.
const maxLinks = 40

// Error is a path the rule refuses. Its message names the path, what is wrong and
// what to do.
type Error struct {
	Path   string // as given: relative to the folder when it is inside it
	Link   string // the symbolic link at fault, relative to the folder; "" for none
	Target string // where that link points, resolved to an absolute path
	What   string // what the path is, for ErrNotRegular and ErrNotFolder
	Folder string // the folder paths must stay in (absolute, resolved)
	Label  string // how to call it: "the project folder"
	Err    error  // ErrOutside, ErrNotRegular, ErrNotFolder or ErrLinkLoop
}

func (e *Error) Error() string { return e.Path + ": " + e.Reason() }

// Reason is the message without the path, for a caller that names the file itself.
func (e *Error) Reason() string {
	where := e.Label + " " + e.Folder
	switch {
	case errors.Is(e.Err, ErrLinkLoop):
		return fmt.Sprintf("too many symbolic links from %s (a loop?): replace %s with a regular file or folder", e.Link, e.Link)
	case errors.Is(e.Err, ErrOutside) && e.Link != "":
		kind := "folder"
		if e.Link == e.Path {
			kind = "file"
			if e.What == "folder" {
				kind = "folder"
			}
		}
		return fmt.Sprintf("the symbolic link %s leads to %s, outside %s: secoda-workbench reads and writes only inside %s; "+
			"replace the link with a regular %s", e.Link, e.Target, where, e.Label, kind)
	case errors.Is(e.Err, ErrOutside):
		return fmt.Sprintf("outside %s: secoda-workbench reads and writes only inside %s; name a path inside it", where, e.Label)
	case errors.Is(e.Err, ErrNotFolder):
		return fmt.Sprintf("%s, not a folder: remove it or move it aside", e.What)
	}
	return fmt.Sprintf("%s, not a regular file: secoda-workbench opens only regular files; remove it or replace it with a regular file", e.What)
}

func (e *Error) Unwrap() error { return e.Err }

// describe names what a non-regular file is, for messages.
func describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsRegular():
		return "a regular file"
	}
	return "not a file secoda-workbench can use (" + m.Type().String() + ")"
}

// asFolder words the refusal of a link that is the path itself for a path meant as a
// folder: "replace the link with a regular folder".
func asFolder(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Link == e.Path && e.What == "" {
		e.What = "folder"
	}
	return err
}

// Kind is what a path handed to Path must be, when it exists.
type Kind int

const (
	File Kind = iota
	Folder
)

// Root is a folder paths may not leave, or a folder inside one (Sub, MkdirAll), whose
// relative paths start there but whose boundary stays the outer folder's. It holds
// names only, no open handle: each operation opens the folder again, so a Root needs
// no closing and may be copied.
type Root struct {
	dir   string // the boundary: absolute, links resolved
	given string // dir as given, absolute, for absolute names spelled under it
	label string
	base  string // the folder relative paths start in, relative to dir, without links
}

// Open is the project folder dir (it must exist); its own links are resolved, since
// the project is where they lead.
func Open(dir string) (Root, error) { return open(dir, "the project folder") }

// OpenFolder is a folder the caller has checked against its project (a load package,
// the filesystem destination's folder), as the boundary for the files in it.
func OpenFolder(dir string) (Root, error) { return open(dir, "the folder") }

func open(dir, label string) (Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Root{}, err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return Root{}, err
	}
	info, err := os.Stat(resolved)
	if err != nil {
		return Root{}, err
	}
	if !info.IsDir() {
		return Root{}, &Error{Path: dir, What: describe(info.Mode()), Folder: resolved, Label: label, Err: ErrNotFolder}
	}
	return Root{dir: resolved, given: filepath.Clean(abs), label: label}, nil
}

// Dir is the folder, absolute, its links resolved.
func (r Root) Dir() string { return filepath.Join(r.dir, r.base) }

func (r Root) refuse(path, link, target, what string, err error) *Error {
	return &Error{Path: path, Link: link, Target: target, What: what, Folder: r.dir, Label: r.label, Err: err}
}

// within is path relative to base when it is base or below it.
func within(base, path string) (string, bool) {
	rel, err := filepath.Rel(base, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return rel, true
}

// relative turns an absolute path into one relative to the folder, if it is inside:
// spelled under the folder as given or as resolved, or reaching it through links
// (the deepest part that exists is resolved).
func (r Root) relative(abs string) (string, bool) {
	abs = filepath.Clean(abs)
	for _, base := range []string{r.dir, r.given} {
		if rel, ok := within(base, abs); ok {
			return rel, true
		}
	}
	probe, rest := abs, ""
	for {
		if _, err := os.Lstat(probe); err == nil {
			break
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			return "", false
		}
		rest = filepath.Join(filepath.Base(probe), rest)
		probe = parent
	}
	resolved, err := filepath.EvalSymlinks(probe)
	if err != nil {
		return "", false
	}
	return within(r.dir, filepath.Join(resolved, rest))
}

// name is a path as given (absolute, or relative to the folder) as a clean relative
// one, or the refusal of a path outside.
func (r Root) name(path string) (string, error) {
	if filepath.IsAbs(path) {
		if rel, ok := r.relative(path); ok {
			return rel, nil
		}
		return "", r.refuse(path, "", "", "", ErrOutside)
	}
	clean := filepath.Clean(filepath.Join(r.base, path))
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) || filepath.VolumeName(clean) != "" {
		return "", r.refuse(r.shown(path), "", "", "", ErrOutside)
	}
	return clean, nil
}

// shown is how a path is named in messages: relative to the folder when inside it.
func (r Root) shown(path string) string {
	if filepath.IsAbs(path) {
		if rel, ok := r.relative(path); ok {
			return filepath.ToSlash(rel)
		}
		return path
	}
	return filepath.ToSlash(filepath.Clean(filepath.Join(r.base, path)))
}

// resolve follows the links of path inside the folder, component by component, and
// returns the path without links (relative to the folder; "." for the folder), or the
// refusal of a link that leads out. What does not exist yet is taken as named.
func (r Root) resolve(or *os.Root, path string) (string, error) {
	clean, err := r.name(path)
	if err != nil {
		return "", err
	}
	return r.walk(or, clean, r.shown(path))
}

// walk is resolve for a clean path relative to the boundary (not to base); shown
// names the path in refusals.
func (r Root) walk(or *os.Root, clean, shown string) (string, error) {
	todo := splitPath(clean)
	var done []string
	links, missing := 0, false
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			// Cleaned paths and resolved link targets hold none; kept for safety.
			if len(done) == 0 {
				return "", r.refuse(shown, "", "", "", ErrOutside)
			}
			done = done[:len(done)-1]
			continue
		}
		cur := filepath.Join(append(slices.Clone(done), c)...)
		if missing {
			done = append(done, c)
			continue
		}
		info, err := or.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			missing = true
			done = append(done, c)
			continue
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			if len(todo) > 0 && !info.IsDir() {
				return "", r.refuse(filepath.ToSlash(cur), "", "", describe(info.Mode()), ErrNotFolder)
			}
			done = append(done, c)
			continue
		}
		links++
		if links > maxLinks {
			return "", r.refuse(shown, filepath.ToSlash(cur), "", "", ErrLinkLoop)
		}
		target, err := or.Readlink(cur)
		if err != nil {
			return "", err
		}
		abs := target
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(r.dir, filepath.Dir(cur), target)
		}
		rel, ok := r.relative(abs)
		if !ok || climbs(filepath.Dir(cur), target) {
			return "", r.refuse(shown, filepath.ToSlash(cur), abs, "", ErrOutside)
		}
		done = nil
		todo = append(splitPath(rel), todo...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return filepath.Join(done...), nil
}

// climbs tells whether a relative link target in folder dir (relative to the root)
// goes above the root on its way, even to come back: os.Root refuses that too.
func climbs(dir, target string) bool {
	if filepath.IsAbs(target) {
		return false
	}
	depth := len(splitPath(dir))
	if dir == "." {
		depth = 0
	}
	for _, c := range splitPath(target) {
		switch c {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

func splitPath(p string) []string {
	if p == "." || p == "" {
		return nil
	}
	return strings.Split(filepath.ToSlash(p), "/")
}

// with runs fn on an os.Root of the folder.
func (r Root) with(fn func(or *os.Root) error) error {
	or, err := os.OpenRoot(r.dir)
	if err != nil {
		return err
	}
	defer or.Close()
	return fn(or)
}

// Path checks path against the rule and returns it absolute, its links resolved, for
// code that opens it by name itself (DuckDB). When it exists it must be of kind k.
func (r Root) Path(path string, k Kind) (string, error) {
	var out string
	err := r.with(func(or *os.Root) error {
		rel, err := r.resolve(or, path)
		if err != nil {
			return err
		}
		info, err := or.Lstat(rel)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		case k == Folder && !info.IsDir():
			return r.refuse(r.shown(path), "", "", describe(info.Mode()), ErrNotFolder)
		case k == File && !info.Mode().IsRegular():
			return r.refuse(r.shown(path), "", "", describe(info.Mode()), ErrNotRegular)
		}
		out = filepath.Join(r.dir, rel)
		return nil
	})
	if k == Folder {
		err = asFolder(err)
	}
	return out, err
}

// Sub is a folder inside this one (it must exist): relative paths start there, and
// the boundary stays this Root's.
func (r Root) Sub(path string) (Root, error) {
	var sub Root
	err := r.with(func(or *os.Root) error {
		rel, err := r.resolve(or, path)
		if err != nil {
			return err
		}
		info, err := or.Stat(rel)
		if err != nil {
			return err
		}
		if !info.IsDir() {
			return r.refuse(r.shown(path), "", "", describe(info.Mode()), ErrNotFolder)
		}
		sub = Root{dir: r.dir, given: r.given, label: r.label, base: rel}
		return nil
	})
	return sub, asFolder(err)
}

// MkdirAll makes the folder path and the folders above it that are missing, and
// returns it as a Root.
func (r Root) MkdirAll(path string, perm fs.FileMode) (Root, error) {
	err := r.with(func(or *os.Root) error {
		rel, err := r.resolve(or, path)
		if err != nil {
			return err
		}
		_, err = mkdirs(or, rel, perm)
		if errors.Is(err, ErrNotFolder) {
			return r.refuse(r.shown(path), "", "", "a file", ErrNotFolder)
		}
		return err
	})
	if err != nil {
		return Root{}, asFolder(err)
	}
	return r.Sub(path)
}

// mkdirs makes the missing folders of rel (which has no links), top first, and
// returns those it made.
func mkdirs(or *os.Root, rel string, perm fs.FileMode) ([]string, error) {
	var made []string
	parts := splitPath(rel)
	for i := range parts {
		p := filepath.Join(parts[:i+1]...)
		info, err := or.Lstat(p)
		if err == nil {
			if !info.IsDir() {
				return made, ErrNotFolder
			}
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return made, err
		}
		if err := or.Mkdir(p, perm); err != nil && !errors.Is(err, fs.ErrExist) {
			return made, err
		}
		made = append(made, p)
	}
	return made, nil
}

// OpenFile opens a regular file (or creates one, with os.O_CREATE): never a folder,
// named pipe, device or socket, which are refused without being opened.
func (r Root) OpenFile(path string, flag int, perm fs.FileMode) (*os.File, error) {
	var f *os.File
	err := r.with(func(or *os.Root) error {
		rel, err := r.resolve(or, path)
		if err != nil {
			return err
		}
		if info, err := or.Lstat(rel); err == nil && !info.Mode().IsRegular() {
			return r.refuse(r.shown(path), "", "", describe(info.Mode()), ErrNotRegular)
		}
		// Non-blocking, in case a FIFO took the file's place since: the open returns
		// at once and the check below refuses it.
		f, err = or.OpenFile(rel, flag|openNonblock, perm)
		if err != nil {
			return err
		}
		info, err := f.Stat()
		if err == nil && !info.Mode().IsRegular() {
			err = r.refuse(r.shown(path), "", "", describe(info.Mode()), ErrNotRegular)
		}
		if err == nil {
			err = setBlocking(f)
		}
		if err != nil {
			f.Close()
			f = nil
		}
		return err
	})
	return f, err
}

// ReadFile reads a regular file whole.
func (r Root) ReadFile(path string) ([]byte, error) {
	f, err := r.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// ReadDir lists a folder, sorted by name. Entries are not followed: a link is listed
// as a link.
func (r Root) ReadDir(path string) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	err := r.with(func(or *os.Root) error {
		rel, err := r.resolve(or, path)
		if err != nil {
			return err
		}
		info, err := or.Lstat(rel)
		if err != nil {
			return err
		}
		if !info.IsDir() {
			return r.refuse(r.shown(path), "", "", describe(info.Mode()), ErrNotFolder)
		}
		d, err := or.Open(rel)
		if err != nil {
			return err
		}
		defer d.Close()
		out, err = d.ReadDir(-1)
		slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
		return err
	})
	return out, asFolder(err)
}

// entry resolves the folder a path is in, but not the path's last part: what Remove
// and Rename act on is the entry itself, a link included.
func (r Root) entry(or *os.Root, path string) (string, error) {
	clean, err := r.name(path)
	if err != nil {
		return "", err
	}
	if clean == "." {
		return "", r.refuse(r.shown(path), "", "", "", ErrOutside)
	}
	dir, err := r.walk(or, filepath.Dir(clean), r.shown(path))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(clean)), nil
}

// Remove removes a file, an empty folder or a link (not what it points to).
func (r Root) Remove(path string) error {
	return r.with(func(or *os.Root) error {
		rel, err := r.entry(or, path)
		if err != nil {
			return err
		}
		return or.Remove(rel)
	})
}

// RemoveAll removes path and everything under it; links are removed, never followed.
// A path that does not exist is no error.
func (r Root) RemoveAll(path string) error {
	return r.with(func(or *os.Root) error {
		rel, err := r.entry(or, path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return or.RemoveAll(rel)
	})
}

// Rename moves an entry (a link is moved as a link) to a new name, replacing what
// the new name held.
func (r Root) Rename(oldpath, newpath string) error {
	return r.with(func(or *os.Root) error {
		from, err := r.entry(or, oldpath)
		if err != nil {
			return err
		}
		to, err := r.entry(or, newpath)
		if err != nil {
			return err
		}
		return or.Rename(from, to)
	})
}

package projectfs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Writing a file whole: staged under a temporary name beside its place, then renamed
// over it.

// WriteFile replaces path whole with data (see Stage). A new file gets perm; an
// existing one keeps its mode.
func (r Root) WriteFile(path string, data []byte, perm fs.FileMode) error {
	s, err := r.Stage(path, data, perm)
	if err != nil {
		return err
	}
	if err := s.Commit(); err != nil {
		s.Discard()
		return err
	}
	return nil
}

// CreateFile writes a new file whole; when path exists it fails with an error that
// wraps fs.ErrExist, and nothing is written.
func (r Root) CreateFile(path string, data []byte, perm fs.FileMode) error {
	s, err := r.Stage(path, data, perm)
	if err != nil {
		return err
	}
	if err := s.CommitNew(); err != nil {
		s.Discard()
		return err
	}
	return nil
}

// Staged is a file written in full to a temporary name beside its place, waiting to
// be renamed there: several files can be staged first and committed together, so that
// a failure in one leaves all of them as they were.
type Staged struct {
	root     Root
	shown    string
	rel, tmp string   // relative to the folder; rel is the target, its links followed
	made     []string // folders made for it, top first
}

// Stage writes data to a temporary file in the folder path is in (made when missing),
// synced. path's links inside the folder are followed, so that committing replaces
// their target; an existing target must be a regular file, whose mode is kept.
func (r Root) Stage(path string, data []byte, perm fs.FileMode) (*Staged, error) {
	s := &Staged{root: r, shown: r.shown(path)}
	err := r.with(func(or *os.Root) error {
		rel, err := r.resolve(or, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return r.refuse(s.shown, "", "", "a folder", ErrNotRegular)
		}
		s.rel = rel
		if info, err := or.Lstat(rel); err == nil {
			if !info.Mode().IsRegular() {
				return r.refuse(s.shown, "", "", describe(info.Mode()), ErrNotRegular)
			}
			perm = info.Mode().Perm()
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if dir := filepath.Dir(rel); dir != "." {
			s.made, err = mkdirs(or, dir, 0o755)
			if errors.Is(err, ErrNotFolder) {
				return r.refuse(filepath.ToSlash(dir), "", "", "a file", ErrNotFolder)
			}
			if err != nil {
				return err
			}
		}
		var rnd [6]byte
		_, _ = rand.Read(rnd[:])
		s.tmp = filepath.Join(filepath.Dir(rel), "."+filepath.Base(rel)+".tmp-"+hex.EncodeToString(rnd[:]))
		f, err := or.OpenFile(s.tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, werr := f.Write(data)
		err = errors.Join(werr, f.Chmod(perm), f.Sync(), f.Close())
		if err != nil {
			_ = or.Remove(s.tmp)
			s.tmp = ""
		}
		return err
	})
	if err != nil {
		s.Discard()
		return nil, err
	}
	return s, nil
}

// Commit renames the staged file over its target.
func (s *Staged) Commit() error {
	err := s.root.with(func(or *os.Root) error { return or.Rename(s.tmp, s.rel) })
	if err == nil {
		s.tmp, s.made = "", nil
	}
	return err
}

// CommitNew puts the staged file in its place only if nothing is there (an error
// wrapping fs.ErrExist otherwise): a hard link, which cannot replace, where the file
// system has them.
func (s *Staged) CommitNew() error {
	err := s.root.with(func(or *os.Root) error {
		err := or.Link(s.tmp, s.rel)
		if err == nil {
			return or.Remove(s.tmp)
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", s.shown, fs.ErrExist)
		}
		// No hard links here: check, then rename.
		if _, serr := or.Lstat(s.rel); serr == nil {
			return fmt.Errorf("%s: %w", s.shown, fs.ErrExist)
		}
		return or.Rename(s.tmp, s.rel)
	})
	if err == nil {
		s.tmp, s.made = "", nil
	}
	return err
}

// Discard removes the staged file and the folders made for it that are still empty.
// After a commit it does nothing.
func (s *Staged) Discard() {
	_ = s.root.with(func(or *os.Root) error {
		if s.tmp != "" {
			_ = or.Remove(s.tmp)
		}
		for i := len(s.made) - 1; i >= 0; i-- {
			_ = or.Remove(s.made[i]) // only an empty folder goes
		}
		return nil
	})
	s.tmp, s.made = "", nil
}

// Package filetree reads a folder whole, for tests that check what a command wrote,
// changed or left alone.
package filetree

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Read is every file, folder and link under dir (dir itself left out), by path
// relative to dir: a file's contents, "" for a folder (whose key ends in "/"),
// "link to TARGET" for a symbolic link, which is not followed, and the type of
// anything else (a named pipe, which is not opened: that would block).
func Read(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "link to " + target
			return err
		case d.IsDir():
			out[rel+"/"] = ""
		case !d.Type().IsRegular():
			out[rel] = d.Type().String()
		default:
			b, err := os.ReadFile(p)
			out[rel] = string(b)
			return err
		}
		return nil
	})
	return out, err
}

// Snapshot is Read for a test, which it fails if the folder cannot be read.
func Snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	m, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

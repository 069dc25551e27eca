package projectfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
)

func write(t *testing.T, dir, rel, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func openT(t *testing.T, dir string) Root {
	t.Helper()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// operations are every way the rule is applied to a path, each reading or writing it.
var operations = map[string]func(r Root, path string) error{
	"ReadFile":   func(r Root, p string) error { _, err := r.ReadFile(p); return err },
	"WriteFile":  func(r Root, p string) error { return r.WriteFile(p, []byte("new\n"), 0o644) },
	"CreateFile": func(r Root, p string) error { return r.CreateFile(p, []byte("new\n"), 0o644) },
	"OpenFile": func(r Root, p string) error {
		f, err := r.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
		}
		return err
	},
	"MkdirAll": func(r Root, p string) error { _, err := r.MkdirAll(p, 0o755); return err },
	"Path":     func(r Root, p string) error { _, err := r.Path(p, File); return err },
	"Stage": func(r Root, p string) error {
		s, err := r.Stage(p, []byte("new\n"), 0o644)
		if err == nil {
			s.Discard()
		}
		return err
	},
}

// TestOutsideIsRefused: a path that leaves the project, by "..", by an absolute path or
// through a symbolic link (to a file or a folder, existing or not, absolute or
// relative), is refused by every operation before anything is read or written, with
// an error naming the link and where it leads.
func TestOutsideIsRefused(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, project, outside string)
		path  string // in the project; OUTSIDE stands for the outside folder
		link  string // the link the error must name; "" for none
	}{
		{"dot-dot", nil, "../x", ""},
		{"dot-dot deeper", nil, "a/../../x", ""},
		{"absolute elsewhere", nil, "OUTSIDE/x", ""},
		{"a file linked to a file outside", func(t *testing.T, p, o string) {
			write(t, o, "id_rsa", "PRIVATE KEY\n")
			link(t, filepath.Join(o, "id_rsa"), filepath.Join(p, "secoda_pipeline.toml"))
		}, "secoda_pipeline.toml", "secoda_pipeline.toml"},
		{"a file linked to a file outside that does not exist yet", func(t *testing.T, p, o string) {
			link(t, filepath.Join(o, "new.duckdb"), filepath.Join(p, "secoda.duckdb"))
		}, "secoda.duckdb", "secoda.duckdb"},
		{"a folder linked outside", func(t *testing.T, p, o string) {
			link(t, o, filepath.Join(p, ".secoda-workbench"))
		}, ".secoda-workbench/secoda_pipeline.lock", ".secoda-workbench"},
		{"a folder linked outside, deeper", func(t *testing.T, p, o string) {
			if err := os.MkdirAll(filepath.Join(o, "pk"), 0o755); err != nil {
				t.Fatal(err)
			}
			link(t, filepath.Join(o, "pk"), filepath.Join(p, ".secoda-workbench", "packages"))
		}, ".secoda-workbench/packages/1/journal", ".secoda-workbench/packages"},
		{"a relative link climbing out", func(t *testing.T, p, o string) {
			link(t, filepath.Join("..", filepath.Base(o), "x"), filepath.Join(p, "CLAUDE.md"))
		}, "CLAUDE.md", "CLAUDE.md"},
		{"a relative link that climbs out and back in", func(t *testing.T, p, o string) {
			write(t, p, "AGENTS.md", "mine\n")
			link(t, filepath.Join("..", filepath.Base(p), "AGENTS.md"), filepath.Join(p, "CLAUDE.md"))
		}, "CLAUDE.md", "CLAUDE.md"},
		{"a link inside that leads to one outside", func(t *testing.T, p, o string) {
			link(t, o, filepath.Join(p, "store"))
			link(t, "store", filepath.Join(p, "data"))
		}, "data/secoda_data/x", "store"},
	}
	for _, tt := range tests {
		for op, do := range operations {
			t.Run(tt.name+"/"+op, func(t *testing.T) {
				project, outside := t.TempDir(), t.TempDir()
				if tt.setup != nil {
					tt.setup(t, project, outside)
				}
				beforeOut, beforeIn := filetree.Snapshot(t, outside), filetree.Snapshot(t, project)
				path := strings.Replace(tt.path, "OUTSIDE", outside, 1)
				err := do(openT(t, project), path)
				if !errors.Is(err, ErrOutside) {
					t.Fatalf("%v, want %v", err, ErrOutside)
				}
				msg := err.Error()
				if !strings.Contains(msg, "outside the project folder "+project) {
					t.Errorf("the error does not name the project: %s", msg)
				}
				if tt.link != "" && (!strings.Contains(msg, "the symbolic link "+tt.link+" leads to ") || !strings.Contains(msg, "replace the link with a regular")) {
					t.Errorf("the error does not name the link and what to do: %s", msg)
				}
				if after := filetree.Snapshot(t, outside); !reflect.DeepEqual(beforeOut, after) {
					t.Errorf("wrote outside the project: %v", after)
				}
				if after := filetree.Snapshot(t, project); !reflect.DeepEqual(beforeIn, after) {
					t.Errorf("wrote in the project although it refused: %v", after)
				}
			})
		}
	}
}

func TestLinkLoop(t *testing.T) {
	project := t.TempDir()
	link(t, "b", filepath.Join(project, "a"))
	link(t, "a", filepath.Join(project, "b"))
	_, err := openT(t, project).ReadFile("a/x")
	if !errors.Is(err, ErrLinkLoop) || !strings.Contains(err.Error(), "too many symbolic links") {
		t.Fatalf("%v, want %v", err, ErrLinkLoop)
	}
}

// TestLinkInsideIsFollowed: a link to a place inside the project (relative or
// absolute) is followed; writing replaces its target and the link stays a link.
func TestLinkInsideIsFollowed(t *testing.T) {
	for _, absolute := range []bool{false, true} {
		project := t.TempDir()
		write(t, project, "AGENTS.md", "mine\n")
		target := "AGENTS.md"
		if absolute {
			target = filepath.Join(project, "AGENTS.md")
		}
		link(t, target, filepath.Join(project, "CLAUDE.md"))
		r := openT(t, project)
		if b, err := r.ReadFile("CLAUDE.md"); err != nil || string(b) != "mine\n" {
			t.Fatalf("absolute %v: %q, %v", absolute, b, err)
		}
		if err := r.WriteFile("CLAUDE.md", []byte("mine and ours\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"AGENTS.md": "mine and ours\n", "CLAUDE.md": "link to " + target}
		if got := filetree.Snapshot(t, project); !reflect.DeepEqual(got, want) {
			t.Errorf("absolute %v: %v, want %v", absolute, got, want)
		}
	}

	project := t.TempDir()
	if err := os.Mkdir(filepath.Join(project, "store"), 0o755); err != nil {
		t.Fatal(err)
	}
	link(t, "store", filepath.Join(project, "data"))
	r := openT(t, project)
	sub, err := r.MkdirAll("data/secoda_data", 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Dir() != filepath.Join(project, "store", "secoda_data") {
		t.Errorf("the folder is %s", sub.Dir())
	}
	if p, err := r.Path(filepath.Join(project, "data", "x.duckdb"), File); err != nil || p != filepath.Join(project, "store", "x.duckdb") {
		t.Errorf("Path: %q, %v", p, err)
	}
}

// TestProjectThroughLink: a project reached through a link is where the link leads,
// and absolute paths spelled through the link are inside it.
func TestProjectThroughLink(t *testing.T) {
	real := t.TempDir()
	via := filepath.Join(t.TempDir(), "project")
	link(t, real, via)
	r := openT(t, via)
	if r.Dir() != real {
		t.Errorf("Dir = %s, want %s", r.Dir(), real)
	}
	if err := r.WriteFile(filepath.Join(via, "secoda_pipeline.toml"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(real, "secoda_pipeline.toml")); err != nil {
		t.Error(err)
	}
}

func TestFolderIsNoFile(t *testing.T) {
	project := t.TempDir()
	if err := os.Mkdir(filepath.Join(project, "secoda.duckdb"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, project, "data", "a file\n")
	r := openT(t, project)
	for op, err := range map[string]error{
		"ReadFile":  func() error { _, err := r.ReadFile("secoda.duckdb"); return err }(),
		"WriteFile": r.WriteFile("secoda.duckdb", nil, 0o644),
		"Path":      func() error { _, err := r.Path("secoda.duckdb", File); return err }(),
	} {
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "secoda.duckdb: a folder, not a regular file") {
			t.Errorf("%s: %v", op, err)
		}
	}
	if _, err := r.Path("data", Folder); !errors.Is(err, ErrNotFolder) {
		t.Errorf("a file as a folder: %v", err)
	}
	if _, err := r.MkdirAll("data/x", 0o755); !errors.Is(err, ErrNotFolder) {
		t.Errorf("MkdirAll under a file: %v", err)
	}
}

// TestWriteFileWhole: the file is replaced whole, keeping its mode, with no temporary
// file left; CreateFile never replaces.
func TestWriteFileWhole(t *testing.T) {
	project := t.TempDir()
	write(t, project, "secoda_pipeline.toml", "old\n")
	if err := os.Chmod(filepath.Join(project, "secoda_pipeline.toml"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := openT(t, project)
	if err := r.WriteFile("secoda_pipeline.toml", []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateFile("secoda_pipeline.toml", []byte("newer\n"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateFile over a file: %v", err)
	}
	if err := r.CreateFile("a/b/new.toml", []byte("created\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"secoda_pipeline.toml": "new\n", "a/": "", "a/b/": "", "a/b/new.toml": "created\n"}
	if got := filetree.Snapshot(t, project); !reflect.DeepEqual(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
	if info, err := os.Stat(filepath.Join(project, "secoda_pipeline.toml")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v: want 0600 kept", info.Mode(), err)
	}
}

func TestDiscardRemovesWhatItMade(t *testing.T) {
	project := t.TempDir()
	s, err := openT(t, project).Stage(".claude/skills/x/SKILL.md", []byte("x"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	s.Discard()
	if got := filetree.Snapshot(t, project); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

// TestRemoveActsOnTheLink: removing a link removes the link, never what it leads to.
func TestRemoveActsOnTheLink(t *testing.T) {
	project := t.TempDir()
	write(t, project, "keep/x", "kept\n")
	link(t, "keep", filepath.Join(project, "packages"))
	r := openT(t, project)
	if err := r.RemoveAll("packages"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"keep/": "", "keep/x": "kept\n"}
	if got := filetree.Snapshot(t, project); !reflect.DeepEqual(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
	if err := r.RemoveAll("not/there"); err != nil {
		t.Errorf("RemoveAll of nothing: %v", err)
	}

	// From a folder of the project, paths start there.
	write(t, project, "work/packages/1/journal", "x\n")
	work, err := r.Sub("work")
	if err != nil {
		t.Fatal(err)
	}
	if err := work.Rename("packages/1", "packages/2"); err != nil {
		t.Fatal(err)
	}
	if b, err := work.ReadFile("packages/2/journal"); err != nil || string(b) != "x\n" {
		t.Errorf("ReadFile from a folder: %q, %v", b, err)
	}
	if err := work.RemoveAll("packages"); err != nil {
		t.Fatal(err)
	}
	want["work/"] = ""
	if got := filetree.Snapshot(t, project); !reflect.DeepEqual(got, want) {
		t.Errorf("RemoveAll from a folder: %v, want %v", got, want)
	}
}

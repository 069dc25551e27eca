package loadpkg

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

func textRow(s string) []normalize.Cell { return []normalize.Cell{{Type: normalize.Text, Str: s}} }

func readAll(t *testing.T, dir, table string) []string {
	t.Helper()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := r.Rows(table, func(cells []normalize.Cell) error {
		out = append(out, strings.Clone(cells[0].Str))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestResumeCutsBackToTheLastCommit: rows written after a resource's last commit (a run
// killed mid-page) are cut off, the tables of a resource that never committed are
// removed, a line cut short is ignored, and the package goes on from there to a
// complete, loadable package with each committed row once.
func TestResumeCutsBackToTheLastCommit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "1.000001")
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Header(map[string]string{"load_id": "1.000001"}); err != nil {
		t.Fatal(err)
	}
	a := &normalize.Table{Name: "a", Resource: "a"}
	achild := &normalize.Table{Name: "a__tags", Parent: "a", Resource: "a"}
	b := &normalize.Table{Name: "b", Resource: "b"}
	for _, s := range []string{"a1", "a2"} {
		if err := w.Row(a, textRow(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Row(achild, textRow("t1")); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit("a", map[string]int{"page": 1}); err != nil {
		t.Fatal(err)
	}
	// After the commit: rows of a's next page, and b, which never commits.
	if err := w.Row(a, textRow("a3-uncommitted")); err != nil {
		t.Fatal(err)
	}
	if err := w.Row(b, textRow("b1-uncommitted")); err != nil {
		t.Fatal(err)
	}
	w.Close() // flushes what is buffered, as a killed process's writes would be
	f, err := os.OpenFile(filepath.Join(dir, journalName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"res":"a","tables":{"a":{"b":99`) // a line cut short
	f.Close()

	w, j, err := Resume(dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(j.Header) != `{"load_id":"1.000001"}` || len(j.Notes["a"]) != 1 || string(j.Notes["a"][0]) != `{"page":1}` || len(j.Notes["b"]) != 0 {
		t.Fatalf("journal: header %s, notes %v", j.Header, j.Notes)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.rows")); !os.IsNotExist(err) {
		t.Fatalf("the table of a resource that never committed is still there: %v", err)
	}
	if err := w.Row(a, textRow("a3")); err != nil {
		t.Fatal(err)
	}
	if err := w.Row(b, textRow("b1")); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit("a", map[string]int{"page": 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit("b", map[string]int{"page": 1}); err != nil {
		t.Fatal(err)
	}
	m, err := w.Finish("1.000001")
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows["a"] != 3 || m.Rows["a__tags"] != 1 || m.Rows["b"] != 1 {
		t.Fatalf("manifest %+v", m.Rows)
	}
	if got := strings.Join(readAll(t, dir, "a"), ","); got != "a1,a2,a3" {
		t.Fatalf("a: %s", got)
	}
	if got := strings.Join(readAll(t, dir, "b"), ","); got != "b1" {
		t.Fatalf("b: %s", got)
	}
	// The rewritten journal holds each commit once, and a second resume reads the same.
	j2, err := ReadJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(j2.Notes["a"]) != 2 || len(j2.Notes["b"]) != 1 || !j2.Complete {
		t.Fatalf("journal after the resumed run: %v, complete %v", j2.Notes, j2.Complete)
	}
}

// TestResumeKeepsOnlyWhatTheDiskHolds: after a crash of the machine a journal line may
// have reached the disk while the rows it names did not; Resume takes the last line
// whose marks the files reach.
func TestResumeKeepsOnlyWhatTheDiskHolds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "2.000001")
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Header("h"); err != nil {
		t.Fatal(err)
	}
	a := &normalize.Table{Name: "a", Resource: "a"}
	for i, s := range []string{"one", "two", "three"} {
		if err := w.Row(a, textRow(s)); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit("a", i+1); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	// The machine lost the last row but not the journal line naming it.
	path := filepath.Join(dir, "a.rows")
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()-3); err != nil {
		t.Fatal(err)
	}
	w, j, err := Resume(dir)
	if err != nil {
		t.Fatal(err)
	}
	var last int
	if err := json.Unmarshal(j.Notes["a"][len(j.Notes["a"])-1], &last); err != nil || last != 2 || len(j.Notes["a"]) != 2 {
		t.Fatalf("notes %v", j.Notes["a"])
	}
	if _, err := w.Finish("2.000001"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(readAll(t, dir, "a"), ","); got != "one,two" {
		t.Fatalf("a: %s", got)
	}
}

// TestLinksOutOfThePackageAreRefused: a package whose files are links out of its folder
// (a hostile or broken work folder) is refused by Resume, ReadJournal and Open, and
// the files the links lead to are neither read into the load nor cut back.
func TestLinksOutOfThePackageAreRefused(t *testing.T) {
	build := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "1.000001")
		w, err := Create(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Header(map[string]string{"load_id": "1.000001"}); err != nil {
			t.Fatal(err)
		}
		a := &normalize.Table{Name: "a", Resource: "a"}
		if err := w.Row(a, textRow("a1")); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit("a", map[string]int{"page": 1}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return dir
	}
	swap := func(t *testing.T, dir, name string) string {
		outside := filepath.Join(t.TempDir(), "precious")
		if err := os.WriteFile(outside, []byte(strings.Repeat("precious\n", 100)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		return outside
	}
	for _, name := range []string{"a.rows", journalName} {
		t.Run(name, func(t *testing.T) {
			dir := build(t)
			outside := swap(t, dir, name)
			if _, _, err := Resume(dir); !errors.Is(err, projectfs.ErrOutside) {
				t.Errorf("Resume: %v, want %v", err, projectfs.ErrOutside)
			}
			if name == journalName {
				if _, err := ReadJournal(dir); !errors.Is(err, projectfs.ErrOutside) {
					t.Errorf("ReadJournal: %v, want %v", err, projectfs.ErrOutside)
				}
			}
			if b, _ := os.ReadFile(outside); string(b) != strings.Repeat("precious\n", 100) {
				t.Errorf("the file the link leads to was changed: %d bytes", len(b))
			}
		})
	}
	t.Run(manifestName, func(t *testing.T) {
		dir := build(t)
		if err := os.WriteFile(filepath.Join(dir, manifestName), []byte(`{"load_id":"1","rows":{"a":1}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		swap(t, dir, "a.rows")
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Rows("a", func([]normalize.Cell) error { return nil }); !errors.Is(err, projectfs.ErrOutside) {
			t.Errorf("Rows: %v, want %v", err, projectfs.ErrOutside)
		}
		swap(t, dir, manifestName)
		if _, err := Open(dir); !errors.Is(err, projectfs.ErrOutside) {
			t.Errorf("Open: %v, want %v", err, projectfs.ErrOutside)
		}
	})
}

package loadpkg

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

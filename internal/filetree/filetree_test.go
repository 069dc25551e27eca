package filetree

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a", "b", "f.txt"), []byte("hello"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "top"), nil, 0o644))
	must(os.Symlink("../elsewhere", filepath.Join(dir, "a", "link")))
	got := Snapshot(t, dir)
	want := map[string]string{"a/": "", "a/b/": "", "a/b/f.txt": "hello", "a/link": "link to ../elsewhere", "top": ""}
	if !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := Read(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing folder is not an error")
	}
}

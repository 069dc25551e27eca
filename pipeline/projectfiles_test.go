package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// TestRunWritesOnlyInsideTheProject: a run refuses a work folder, load packages
// folder, lock file, DuckDB file (or its write-ahead log) or Parquet folder that is a
// symbolic link out of the project, put there after the config was read; it writes
// nothing where the link leads, and (but for a table's folder, found at load time)
// nothing in the project either.
func TestRunWritesOnlyInsideTheProject(t *testing.T) {
	tests := []struct {
		kind   string
		link   string // in the project, to the outside folder
		file   bool   // the link leads to a file in it, not the folder itself
		before bool   // the refusal comes before anything is written
	}{
		{dest.DuckDB, pipeline.WorkDirName, false, true},
		{dest.DuckDB, pipeline.WorkDirName + "/packages", false, true},
		{dest.DuckDB, pipeline.WorkDirName + "/secoda_pipeline.lock", true, true},
		{dest.DuckDB, "secoda.duckdb", true, true},
		{dest.DuckDB, "secoda.duckdb.wal", true, true},
		{dest.Filesystem, "data", false, true},
		{dest.Filesystem, "data/secoda_data", false, true},
		// Found by the destination, in its folder: named from there.
		{dest.Filesystem, "data/secoda_data/collection", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.link, func(t *testing.T) {
			p := newProjectOn(t, target{kind: tt.kind}, simulator.Options{Seed: 3}, "[resources.collection]\n")
			outside := t.TempDir()
			target := outside
			if tt.file {
				target = filepath.Join(outside, "precious")
				if err := os.WriteFile(target, []byte("precious\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			at := filepath.Join(p.dir, filepath.FromSlash(tt.link))
			if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, at); err != nil {
				t.Fatal(err)
			}
			beforeOut, beforeIn := filetree.Snapshot(t, outside), filetree.Snapshot(t, p.dir)
			_, err := p.tryRun(pipeline.RunOptions{})
			if !errors.Is(err, projectfs.ErrOutside) {
				t.Fatalf("%v, want %v", err, projectfs.ErrOutside)
			}
			named := tt.link
			if !tt.before {
				named = strings.TrimPrefix(named, "data/")
			}
			if !strings.Contains(err.Error(), "the symbolic link "+named+" leads to "+target) || !strings.Contains(err.Error(), "replace the link with a regular") {
				t.Errorf("the error does not name the link, where it leads and what to do: %v", err)
			}
			if after := filetree.Snapshot(t, outside); !reflect.DeepEqual(beforeOut, after) {
				t.Errorf("the run wrote outside the project: %v", after)
			}
			if after := filetree.Snapshot(t, p.dir); tt.before && !reflect.DeepEqual(beforeIn, after) {
				t.Errorf("the run wrote in the project although it refused: %v", after)
			}
		})
	}
}

// TestRunFollowsLinksInsideTheProject: links that stay inside the project are
// followed: the work folder and the DuckDB file may live in another folder of it.
func TestRunFollowsLinksInsideTheProject(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 3}, "[resources.collection]\n")
	for _, d := range []string{"work", "store"} {
		if err := os.Mkdir(filepath.Join(p.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("work", filepath.Join(p.dir, pipeline.WorkDirName)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(p.dir, "store", "x.duckdb"), filepath.Join(p.dir, "secoda.duckdb")); err != nil {
		t.Fatal(err)
	}
	p.run(t, pipeline.RunOptions{})
	if p.count(t, "collection") == 0 {
		t.Error("nothing loaded")
	}
	for _, f := range []string{"work/packages", "store/x.duckdb"} {
		if _, err := os.Stat(filepath.Join(p.dir, f)); err != nil {
			t.Error(err)
		}
	}
}

package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestScaffoldConfig(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	scaffold := ScaffoldConfig(f.d)
	path := filepath.Join(f.d.Dir, pipeline.ConfigFileName)

	var out ScaffoldConfigOut
	res := call(t, scaffold, map[string]any{"resources": []string{"resource_catalog", "collection"}, "dataset_name": "catalog"})
	structured(t, res, &out)
	if out.Path != pipeline.ConfigFileName || out.Replaced || len(out.Resources) != 2 || out.Resources[0].Name != "resource_catalog" ||
		out.Resources[0].Disposition != "merge" || out.Resources[0].Cursor != "updated_at" || out.Resources[1].Path != "collection/collections" {
		t.Fatalf("%+v", out)
	}
	if !strings.Contains(out.Next, "preview_endpoint") || !strings.Contains(out.Next, "max_pages") {
		t.Fatalf("next: %s", out.Next)
	}
	if txt := text(res); !strings.Contains(txt, "Wrote secoda_pipeline.toml (pipeline secoda_pipeline, dataset catalog") ||
		!strings.Contains(txt, "- collection: collection/collections, merge on id, incremental on updated_at") {
		t.Fatalf("text:\n%s", txt)
	}
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(written), "\nrate_limit = 60\n") || strings.Contains(string(written), f.key) {
		t.Fatalf("the file:\n%s", written)
	}
	plan, err := pipeline.LoadProject(f.d.Dir)
	if err != nil || plan.DatasetName != "catalog" || len(plan.Resources) != 2 {
		t.Fatalf("the file does not load back: %v %+v", err, plan)
	}

	// An existing file is kept unless overwrite says otherwise.
	res = call(t, scaffold, map[string]any{"resources": []string{"document"}})
	wantError(t, res, "already exists", "overwrite: true", "validate_config")
	if again, _ := os.ReadFile(path); string(again) != string(written) {
		t.Fatal("a refused scaffold changed the file")
	}

	// Replacing keeps the file's API host: the key is kept for that host.
	eu := strings.Replace(string(written), `base_url = "`+secoda.DefaultBaseURL+`"`, `base_url = "https://eapi.secoda.co/api/v1"`, 1)
	if eu == string(written) {
		t.Fatal("the scaffold wrote no default base_url")
	}
	if err := os.WriteFile(path, []byte(eu), 0o644); err != nil {
		t.Fatal(err)
	}
	res = call(t, scaffold, map[string]any{"resources": []string{"document"}, "overwrite": true})
	structured(t, res, &out)
	replaced, _ := os.ReadFile(path)
	if !out.Replaced || len(out.Resources) != 1 || out.Resources[0].Name != "document" || !strings.HasPrefix(text(res), "Replaced secoda_pipeline.toml") ||
		!strings.Contains(string(replaced), `base_url = "https://eapi.secoda.co/api/v1"`) || strings.Contains(string(replaced), "[resources.collection]") {
		t.Fatalf("%+v\n%s", out, replaced)
	}
	entries, _ := os.ReadDir(f.d.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a temporary file was left behind: %s", e.Name())
		}
	}
}

func TestScaffoldConfigDefaultsAndMistakes(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	scaffold := ScaffoldConfig(f.d)
	wantError(t, call(t, scaffold, map[string]any{"resources": []string{"collections"}}), "did you mean collection?", "list_endpoints")
	wantError(t, call(t, scaffold, map[string]any{"resources": []string{"document"}, "destination": "postgress"}), "did you mean postgres?")
	wantError(t, call(t, scaffold, map[string]any{"resources": []string{"document"}, "destination": "postgres", "destination_url": "postgres://me:hunter2@db/x"}),
		"the URL holds a password", "secrets set --destination")
	wantError(t, call(t, scaffold, map[string]any{"resources": []string{"document"}, "dataset_name": "Secoda Data"}), "dataset name", `use "secoda_data"`)
	if _, err := os.Stat(filepath.Join(f.d.Dir, pipeline.ConfigFileName)); err == nil {
		t.Fatal("a refused scaffold wrote the file")
	}
	// A postgres scaffold names the database and holds no password.
	res := call(t, scaffold, map[string]any{"resources": []string{"document"}, "destination": "postgres", "destination_url": "postgres://loader@db.internal:5432/warehouse"})
	if !strings.Contains(text(res), "postgres:postgres://loader@db.internal:5432/warehouse") {
		t.Fatalf("postgres scaffold: %s", text(res))
	}
	if plan, err := pipeline.LoadConfig(filepath.Join(f.d.Dir, pipeline.ConfigFileName)); err != nil || plan.DestinationURL != "postgres://loader@db.internal:5432/warehouse" {
		t.Fatalf("the postgres scaffold does not load back: %v %+v", err, plan)
	}
	os.Remove(filepath.Join(f.d.Dir, pipeline.ConfigFileName))

	var out ScaffoldConfigOut
	structured(t, call(t, scaffold, map[string]any{"resources": []string{}}), &out)
	var names []string
	for _, r := range out.Resources {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != strings.Join(secoda.DefaultResources, ",") {
		t.Fatalf("an empty list: %v", names)
	}
}

// TestScaffoldConfigUnderTheProjectRule: scaffold_config never writes through a link
// out of the project (it used to replace the link, another behaviour than init's);
// a config linked to a file inside the project has that file replaced, and stays a
// link.
func TestScaffoldConfigUnderTheProjectRule(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	scaffold := ScaffoldConfig(f.d)
	path := filepath.Join(f.d.Dir, pipeline.ConfigFileName)
	outside := filepath.Join(t.TempDir(), "precious.toml")
	if err := os.WriteFile(outside, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, path); err != nil {
		t.Fatal(err)
	}
	res := call(t, scaffold, map[string]any{"resources": []string{"document"}, "overwrite": true})
	wantError(t, res, "the symbolic link secoda_pipeline.toml leads to "+outside, "replace the link with a regular file")
	if b, _ := os.ReadFile(outside); string(b) != "precious\n" {
		t.Errorf("written through the link: %q", b)
	}
	if target, err := os.Readlink(path); err != nil || target != outside {
		t.Errorf("the link was replaced: %q %v", target, err)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.d.Dir, "mine.toml"), []byte("[resources.tag]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("mine.toml", path); err != nil {
		t.Fatal(err)
	}
	res = call(t, scaffold, map[string]any{"resources": []string{"document"}, "overwrite": true})
	if res.IsError {
		t.Fatal(text(res))
	}
	if b, _ := os.ReadFile(filepath.Join(f.d.Dir, "mine.toml")); !strings.Contains(string(b), "[resources.document]") {
		t.Errorf("the link's target was not replaced: %q", b)
	}
	if target, err := os.Readlink(path); err != nil || target != "mine.toml" {
		t.Errorf("the link was replaced: %q %v", target, err)
	}
}

package tools

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestValidateConfig(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 3})
	validate := ValidateConfig(f.d)
	wantError(t, call(t, validate, nil), "no secoda_pipeline.toml", "scaffold_config")

	f.config(t, "[resources.resource_detail]\n\n[resources.docs]\nendpoint = \"document\"\nincremental = \"\"\n")
	var out ValidateConfigOut
	res := call(t, validate, nil)
	structured(t, res, &out)
	if !out.Valid || out.Config != pipeline.ConfigFileName || out.Pipeline != "secoda_pipeline" || out.Dataset != "secoda_data" ||
		out.Destination != "duckdb:secoda.duckdb" || len(out.Resources) != 2 || out.Connection != nil || len(out.Problems) != 0 {
		t.Fatalf("%+v", out)
	}
	if r := out.Resources[1]; r.Name != "docs" || r.Endpoint != "document" || r.Path != "document" || r.Cursor != "" || r.Disposition != "merge" {
		t.Fatalf("docs: %+v", r)
	}
	if txt := text(res); !strings.Contains(txt, "secoda_pipeline.toml is valid: pipeline secoda_pipeline, dataset secoda_data, duckdb:secoda.duckdb") ||
		!strings.Contains(txt, "- docs: document, merge, full load each run") || !strings.Contains(txt, "check_connection") {
		t.Fatalf("text:\n%s", txt)
	}

	// The connection check reads the first page of the first list: resource_detail's parent.
	res = call(t, validate, map[string]any{"check_connection": true})
	structured(t, res, &out)
	u, _ := url.Parse(f.srv.URL)
	if c := out.Connection; c == nil || c.Host != u.Host || c.Path != "resource/catalog" || c.Records != 50 || c.Count != f.sim.Workspace().CatalogSize() {
		t.Fatalf("connection: %+v", out.Connection)
	}
	if !strings.Contains(text(res), "Connected to "+u.Host+": resource/catalog answered 50 records") {
		t.Fatalf("text:\n%s", text(res))
	}
	if _, err := os.Stat(filepath.Join(f.d.Dir, "secoda.duckdb")); !os.IsNotExist(err) {
		t.Fatal("validate_config touched the dataset")
	}

	f.env["SECODA_API_KEY"] = "wrong-" + f.key
	res = call(t, validate, map[string]any{"check_connection": true})
	wantError(t, res, "the config is valid, but the connection check failed", "rejected", "secoda-workbench secrets set")
	if strings.Contains(text(res), f.key) {
		t.Fatal("the error holds the key")
	}
	delete(f.env, "SECODA_API_KEY")
	wantError(t, call(t, validate, map[string]any{"check_connection": true}), "no Secoda API key", "secoda-workbench secrets set")
	structured(t, call(t, validate, nil), &out) // without the check, no key is needed
}

func TestValidateConfigListsEveryProblemWithItsLine(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	validate := ValidateConfig(f.d)
	f.config(t, "[resources.collections]\n\n[resources.document]\npage_cap = \"ten\"\napi_key = \"x\"\n")
	// The file as config writes it: [source] and rate_limit take lines 1 and 2, a blank line 3.
	res := call(t, validate, nil)
	wantError(t, res, "secoda_pipeline.toml has 3 problems",
		`line 4, column 12: resources.collections: unknown endpoint "collections": did you mean collection?`,
		"line 7, column 12: resources.document.page_cap:",
		"line 8, column 1: resources.document.api_key: secoda_pipeline.toml must not hold a secret",
		"then call validate_config again")
	var out ValidateConfigOut
	content(t, res, &out)
	if out.Valid || len(out.Problems) != 3 || len(out.Resources) != 0 || !strings.Contains(out.Next, "validate_config") {
		t.Fatalf("%+v", out)
	}
	p := out.Problems[0]
	if p.Line != 4 || p.Column != 12 || p.Key != "resources.collections" || !strings.Contains(p.Message, "did you mean collection?") {
		t.Fatalf("first problem: %+v", p)
	}
	if out.Problems[1].Line != 7 || out.Problems[2].Line != 8 {
		t.Fatalf("problems: %+v", out.Problems)
	}
	fitsOutputSchema(t, validate, res) // the error's content has the success's shape
	if b, _ := json.Marshal(res); strings.Contains(string(b), `"x"`) {
		t.Fatal("the result repeats the secret's value")
	}

	// A single problem (a TOML syntax error) is listed the same way.
	f.config(t, "[resources.document\n")
	res = call(t, validate, nil)
	wantError(t, res, "has 1 problem:", "line 4")
	content(t, res, &out)
	if len(out.Problems) != 1 || out.Problems[0].Line != 4 || !strings.Contains(out.Problems[0].Message, "TOML syntax") {
		t.Fatalf("%+v", out.Problems)
	}
}

// TestValidateConfigReportsADestinationOutsideTheProject: a destination path that
// leads out of the project (an agent's hostile clone may hold one) is a problem at its
// line, structured too.
func TestValidateConfigReportsADestinationOutsideTheProject(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	validate := ValidateConfig(f.d)
	outside := t.TempDir()
	f.config(t, "[destination]\ntype = \"filesystem\"\npath = \""+outside+"\"\n\n[resources.document]\n")
	res := call(t, validate, nil)
	wantError(t, res, "line 6, column 8: destination.path: \""+outside+"\" is outside the project folder", "use a path inside it, e.g. \"data\"")
	var out ValidateConfigOut
	content(t, res, &out)
	if out.Valid || len(out.Problems) != 1 || out.Problems[0].Line != 6 || out.Problems[0].Key != "destination.path" {
		t.Fatalf("%+v", out)
	}
}

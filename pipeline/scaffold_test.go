package pipeline

import (
	"cmp"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// checkGolden compares got with testdata/<name>, or rewrites the file under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pipeline -run Scaffold -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what Scaffold writes (go test ./pipeline -run Scaffold -update rewrites it)\n--- got:\n%s", path, got)
	}
}

func TestScaffoldGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		opts   ScaffoldOptions
	}{
		{"scaffold/default.toml", ScaffoldOptions{}},
		{"scaffold/all.toml", ScaffoldOptions{Resources: secoda.EndpointNames()}},
		{"scaffold/postgres.toml", ScaffoldOptions{Destination: "postgres", DestinationURL: "postgres://loader@db.example.com:5432/analytics?sslmode=require"}},
		{"scaffold/filesystem.toml", ScaffoldOptions{Destination: "filesystem"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got, err := Scaffold(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, got)
		})
	}
}

// planFor is the plan a scaffold with opts describes, built from the catalog by hand.
func planFor(t *testing.T, file string, opts ScaffoldOptions) *Plan {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	names := opts.Resources
	if len(names) == 0 {
		names = secoda.DefaultResources
	}
	base := secoda.DefaultBaseURL
	if opts.BaseURL != "" {
		if base, err = secoda.NormalizeBaseURL(opts.BaseURL); err != nil {
			t.Fatal(err)
		}
	}
	p := &Plan{
		File: abs, Dir: filepath.Dir(abs),
		PipelineName: DefaultPipelineName, DatasetName: DefaultDatasetName, SchemaName: normalize.SchemaName,
		DestinationType: DefaultDestination, DestinationPath: filepath.Join(filepath.Dir(abs), DefaultDuckDBPath),
		BaseURL: base, RequestsPerMinute: secoda.DefaultRequestsPerMinute,
		Concurrency: DefaultConcurrency, DetailConcurrency: DefaultDetailConcurrency, CatalogCap: partition.DefaultCap, ReadMemory: dest.DefaultReadMemory,
	}
	if opts.PipelineName != "" {
		p.PipelineName = opts.PipelineName
	}
	switch opts.Destination {
	case "postgres":
		p.DestinationType, p.DestinationPath, p.DestinationURL = "postgres", "", cmp.Or(opts.DestinationURL, DefaultPostgresURL)
	case "filesystem":
		p.DestinationType, p.DestinationPath = "filesystem", filepath.Join(filepath.Dir(abs), DefaultFilesystemPath)
	}
	if opts.DatasetName != "" {
		p.DatasetName = opts.DatasetName
	}
	for _, n := range names {
		e, ok := secoda.LookupEndpoint(n)
		if !ok {
			t.Fatalf("no endpoint %q", n)
		}
		p.Resources = append(p.Resources, Resource{
			Name: n, Endpoint: e, Disposition: e.Disposition, PrimaryKey: e.PrimaryKey, Cursor: e.Cursor,
			PageCap: secoda.DefaultPageCap, Contract: normalize.EvolveAll, MaxNesting: 1000,
		})
	}
	return p
}

// TestScaffoldRoundTrip: what Scaffold writes parses back into the plan its options
// describe: the defaults, every endpoint alone, all of them at once.
func TestScaffoldRoundTrip(t *testing.T) {
	cases := map[string]ScaffoldOptions{
		"defaults": {},
		"all":      {Resources: secoda.EndpointNames()},
		"named": {Resources: []string{"document", "resource_catalog"}, Destination: "duckdb",
			DatasetName: "catalog_copy", PipelineName: "nightly", BaseURL: "eu"},
		"loopback":             {Resources: []string{"tag"}, BaseURL: "http://127.0.0.1:8787/api/v1/"},
		"postgres":             {Destination: "postgres", DestinationURL: "postgresql://me@127.0.0.1/warehouse"},
		"postgres default url": {Destination: "postgres"},
		"filesystem":           {Destination: "filesystem", DatasetName: "lake"},
	}
	for _, e := range secoda.Endpoints {
		cases["one/"+e.Name] = ScaffoldOptions{Resources: []string{e.Name}}
	}
	file := filepath.Join(t.TempDir(), ConfigFileName)
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			text, err := Scaffold(opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseConfig(file, []byte(text))
			if err != nil {
				t.Fatalf("the scaffold does not parse: %v\n%s", err, text)
			}
			if want := planFor(t, file, opts); !reflect.DeepEqual(got, want) {
				t.Errorf("plan differs\n got: %+v\nwant: %+v", got, want)
			}
		})
	}
}

// TestScaffoldExamplesParse: every commented example, uncommented, is a valid config.
func TestScaffoldExamplesParse(t *testing.T) {
	text, err := Scaffold(ScaffoldOptions{Resources: secoda.EndpointNames()})
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile(`(?m)^# ([a-z_]+ = .*)$`)
	uncommented := example.ReplaceAllString(text, "$1")
	if uncommented == text {
		t.Fatal("no commented example found")
	}
	plan, err := ParseConfig(ConfigFileName, []byte(uncommented))
	if err != nil {
		t.Fatalf("%v\n%s", err, uncommented)
	}
	r, _ := plan.Resource("resource_catalog")
	if want := `{"field":"type","operator":"exact","value":"table"}`; r.Filter != want {
		t.Errorf("filter = %s, want %s", r.Filter, want)
	}
	if want := `{"field":"updated_at","order":"desc"}`; r.Sort != want {
		t.Errorf("sort = %s, want %s", r.Sort, want)
	}
	if got := r.Params.Get("teams"); got != "..." {
		t.Errorf("params teams = %q", got)
	}
}

func TestScaffoldHeader(t *testing.T) {
	text, err := Scaffold(ScaffoldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"no secret", "`secoda-workbench secrets set`", "SECODA_API_KEY",
		"[resources.resource_catalog]", "# filter = {", "# params = { teams = \"...\" }",
		"No incremental cursor: integration records"} {
		if !strings.Contains(text, want) {
			t.Errorf("the scaffold lacks %q", want)
		}
	}
	for i, line := range strings.Split(text, "\n") {
		if len(line) > commentWidth {
			t.Errorf("line %d is %d long: %s", i+1, len(line), line)
		}
	}
}

func TestScaffoldErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts ScaffoldOptions
		want []string
	}{
		{"unknown resource", ScaffoldOptions{Resources: []string{"documents"}},
			[]string{`unknown resource "documents": did you mean document?`, "secoda-workbench endpoints"}},
		{"two unknown", ScaffoldOptions{Resources: []string{"tags", "nothing_like_it"}},
			[]string{"did you mean tag?", `unknown resource "nothing_like_it"; `}},
		{"postgres url with a password", ScaffoldOptions{Destination: "postgres", DestinationURL: "postgres://u:pw@h/db"},
			[]string{"destination URL: the URL holds a password"}},
		{"url for duckdb", ScaffoldOptions{DestinationURL: "postgres://u@h/db"}, []string{"a destination URL is for postgres"}},
		{"unknown destination", ScaffoldOptions{Destination: "duckbd"},
			[]string{"did you mean duckdb?", "duckdb, postgres, filesystem"}},
		{"dataset", ScaffoldOptions{DatasetName: "Secoda Data"}, []string{`dataset name: "Secoda Data" is not a valid name`, `use "secoda_data"`}},
		{"pipeline", ScaffoldOptions{PipelineName: "my-pipeline"}, []string{`pipeline name: "my-pipeline"`, `use "my_pipeline"`}},
		{"base url", ScaffoldOptions{BaseURL: "http://secoda.example.com"}, []string{"plain http"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Scaffold(tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestScaffoldDropsBlanksAndRepeats(t *testing.T) {
	a, err := Scaffold(ScaffoldOptions{Resources: []string{" tag", "", "user", "tag"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Scaffold(ScaffoldOptions{Resources: []string{"tag", "user"}})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("blank and repeated names change the scaffold")
	}
}

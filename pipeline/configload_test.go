package pipeline

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

func catalogEndpoint(t *testing.T, name string) secoda.Endpoint {
	t.Helper()
	e, ok := secoda.LookupEndpoint(name)
	if !ok {
		t.Fatalf("no endpoint %q", name)
	}
	return e
}

func absOf(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestLoadConfigFull(t *testing.T) {
	file := filepath.Join("testdata", "config", "full.toml")
	got, err := LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := absOf(t, filepath.Join("testdata", "config"))
	want := &Plan{
		File: absOf(t, file), Dir: dir,
		PipelineName: "nightly_pipeline", DatasetName: "secoda_raw", SchemaName: "secoda_raw_source",
		DestinationType: "duckdb", DestinationPath: filepath.Join(dir, "data", "warehouse.duckdb"),
		BaseURL: "https://eapi.secoda.co/api/v1", RequestsPerMinute: 30.5,
		Concurrency: 2, DetailConcurrency: 8, CatalogCap: partition.DefaultCap, ReadMemory: dest.DefaultReadMemory,
		Resources: []Resource{
			{
				Name: "tables_only", Endpoint: catalogEndpoint(t, "resource_catalog"),
				Disposition: secoda.Replace, PrimaryKey: "id", Cursor: "",
				Filter: `{"operands":[{"field":"type","operator":"exact","value":"table"},` +
					`{"operands":[{"field":"description","operator":"is_set"}],"operator":"not"}],"operator":"and"}`,
				Sort:    `{"field":"updated_at","order":"desc","tie_breaker":{"field":"id"}}`,
				Params:  url.Values{"teams": {"data-eng"}},
				PageCap: 10,
				Contract: normalize.Contract{Tables: normalize.Evolve, Columns: normalize.Freeze,
					DataType: normalize.Evolve},
				MaxNesting: 2,
			},
			{
				Name: "document", Endpoint: catalogEndpoint(t, "document"),
				Disposition: secoda.Append, PrimaryKey: "id", Cursor: "created_at",
				PageCap: secoda.DefaultPageCap, Contract: normalize.Uniform(normalize.DiscardRow), MaxNesting: 1000,
			},
			{
				Name: "integration", Endpoint: catalogEndpoint(t, "integration"),
				Disposition: secoda.Merge, PrimaryKey: "id",
				Params:  url.Values{"type": {"dbt"}},
				PageCap: secoda.DefaultPageCap, Contract: normalize.EvolveAll, MaxNesting: 0,
			},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan differs\n got: %+v\nwant: %+v", got, want)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	file := filepath.Join("testdata", "config", "minimal.toml")
	got, err := LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := absOf(t, filepath.Join("testdata", "config"))
	doc := catalogEndpoint(t, "document")
	want := &Plan{
		File: absOf(t, file), Dir: dir,
		PipelineName: DefaultPipelineName, DatasetName: DefaultDatasetName, SchemaName: normalize.SchemaName,
		DestinationType: DefaultDestination, DestinationPath: filepath.Join(dir, DefaultDuckDBPath),
		BaseURL: "", RequestsPerMinute: secoda.DefaultRequestsPerMinute,
		Concurrency: DefaultConcurrency, DetailConcurrency: DefaultDetailConcurrency, CatalogCap: partition.DefaultCap, ReadMemory: dest.DefaultReadMemory,
		Resources: []Resource{{
			Name: "document", Endpoint: doc, Disposition: doc.Disposition, PrimaryKey: doc.PrimaryKey,
			Cursor: doc.Cursor, PageCap: secoda.DefaultPageCap, Contract: normalize.EvolveAll, MaxNesting: 1000,
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan differs\n got: %+v\nwant: %+v", got, want)
	}
}

// parse parses src as secoda_pipeline.toml in a temporary folder.
func parseText(t *testing.T, src string) (*Plan, error) {
	t.Helper()
	return ParseConfig(ConfigFileName, []byte(src))
}

func mustParseText(t *testing.T, src string) *Plan {
	t.Helper()
	p, err := parseText(t, src)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return p
}

func TestParseConfigValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   string
		check func(t *testing.T, p *Plan)
	}{
		{"rate_limit 0 turns pacing off", "[source]\nrate_limit = 0\n[resources.tag]\n", func(t *testing.T, p *Plan) {
			if p.RequestsPerMinute != -1 {
				t.Errorf("RequestsPerMinute = %v, want -1", p.RequestsPerMinute)
			}
		}},
		{"rate_limit integer", "[source]\nrate_limit = 120\n[resources.tag]\n", func(t *testing.T, p *Plan) {
			if p.RequestsPerMinute != 120 {
				t.Errorf("RequestsPerMinute = %v", p.RequestsPerMinute)
			}
		}},
		{"empty base_url is the default", "[source]\nbase_url = \"\"\n[resources.tag]\n", func(t *testing.T, p *Plan) {
			if p.BaseURL != "" {
				t.Errorf("BaseURL = %q", p.BaseURL)
			}
		}},
		{"base_url normalized", "[source]\nbase_url = \"http://localhost:8787/\"\n[resources.tag]\n", func(t *testing.T, p *Plan) {
			if p.BaseURL != "http://localhost:8787/api/v1" {
				t.Errorf("BaseURL = %q", p.BaseURL)
			}
		}},
		{"incremental absent keeps the endpoint's cursor", "[resources.resource_detail]\n", func(t *testing.T, p *Plan) {
			if c := p.Resources[0].Cursor; c != "updated_at" {
				t.Errorf("Cursor = %q", c)
			}
		}},
		{"incremental empty means none", "[resources.document]\nincremental = \"\"\n", func(t *testing.T, p *Plan) {
			if c := p.Resources[0].Cursor; c != "" {
				t.Errorf("Cursor = %q", c)
			}
		}},
		{"incremental on an endpoint without a cursor", "[resources.user]\nincremental = \"date_joined\"\n", func(t *testing.T, p *Plan) {
			if c := p.Resources[0].Cursor; c != "date_joined" {
				t.Errorf("Cursor = %q", c)
			}
		}},
		{"empty filter string is no filter", "[resources.resource_catalog]\nfilter = \"\"\nsort = \"  \"\n", func(t *testing.T, p *Plan) {
			if r := p.Resources[0]; r.Filter != "" || r.Sort != "" {
				t.Errorf("Filter = %q, Sort = %q", r.Filter, r.Sort)
			}
		}},
		{"two tables from one endpoint", `
[resources.tables]
endpoint = "resource_catalog"
filter = { operator = "exact", field = "type", value = "table" }
[resources.dashboards]
endpoint = "resource_catalog"
filter = { operator = "in", field = "type", value = ["dashboard", "chart"] }
`, func(t *testing.T, p *Plan) {
			if len(p.Resources) != 2 || p.Resources[1].Endpoint.Name != "resource_catalog" ||
				p.Resources[1].Filter != `{"field":"type","operator":"in","value":["dashboard","chart"]}` {
				t.Errorf("resources = %+v", p.Resources)
			}
		}},
		{"dotted keys and a BOM", "\ufeffresources.document.page_cap = 5\n", func(t *testing.T, p *Plan) {
			if p.Resources[0].PageCap != 5 {
				t.Errorf("PageCap = %d", p.Resources[0].PageCap)
			}
		}},
		{"dates in a filter are strings", "[resources.resource_catalog]\n" +
			"filter = { operator = \"exact\", field = \"updated_at\", value = 2025-01-02T03:04:05Z }\n", func(t *testing.T, p *Plan) {
			if want := `{"field":"updated_at","operator":"exact","value":"2025-01-02T03:04:05Z"}`; p.Resources[0].Filter != want {
				t.Errorf("Filter = %s", p.Resources[0].Filter)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, mustParseText(t, tc.src)) })
	}
}

func TestParseConfigResourceOrder(t *testing.T) {
	p := mustParseText(t, `
[resources.tag]
[resources.collection]
[resources.resource_catalog]
[resources.document]
[resources.collection.params]
title = "Finance"
`)
	var got []string
	for _, r := range p.Resources {
		got = append(got, r.Name)
	}
	if want := []string{"tag", "collection", "resource_catalog", "document"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func TestParseConfigFilterForms(t *testing.T) {
	forms := map[string]string{
		"inline table": `filter = { operator = "or", operands = [{ operator = "exact", field = "type", value = "table" }, { operator = "contains", field = "title", value = "orders" }] }
sort = { field = "updated_at", order = "desc", tie_breaker = { field = "id", order = "asc" } }`,
		"JSON string": `filter = '{"operator": "or", "operands": [{"operator": "exact", "field": "type", "value": "table"}, {"operator": "contains", "field": "title", "value": "orders"}]}'
sort = """{"field": "updated_at", "order": "desc",
  "tie_breaker": {"field": "id", "order": "asc"}}"""`,
		"standard tables": `[resources.resource_catalog.filter]
operator = "or"
[[resources.resource_catalog.filter.operands]]
operator = "exact"
field = "type"
value = "table"
[[resources.resource_catalog.filter.operands]]
operator = "contains"
field = "title"
value = "orders"
[resources.resource_catalog.sort]
field = "updated_at"
order = "desc"
tie_breaker.field = "id"
tie_breaker.order = "asc"`,
	}
	const wantFilter = `{"operands":[{"field":"type","operator":"exact","value":"table"},{"field":"title","operator":"contains","value":"orders"}],"operator":"or"}`
	const wantSort = `{"field":"updated_at","order":"desc","tie_breaker":{"field":"id","order":"asc"}}`
	for name, src := range forms {
		t.Run(name, func(t *testing.T) {
			p := mustParseText(t, "[resources.resource_catalog]\n"+src+"\n")
			if r := p.Resources[0]; r.Filter != wantFilter || r.Sort != wantSort {
				t.Errorf("Filter = %s\nSort = %s", r.Filter, r.Sort)
			}
		})
	}
}

func TestParseConfigSchemaContract(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want normalize.Contract
	}{
		{`schema_contract = "freeze"`, normalize.Uniform(normalize.Freeze)},
		{`schema_contract = "discard_value"`, normalize.Uniform(normalize.DiscardValue)},
		{`schema_contract = { tables = "freeze" }`, normalize.Contract{Tables: normalize.Freeze, Columns: normalize.Evolve, DataType: normalize.Evolve}},
		{`schema_contract = { tables = "discard_row", columns = "freeze", data_type = "discard_value" }`,
			normalize.Contract{Tables: normalize.DiscardRow, Columns: normalize.Freeze, DataType: normalize.DiscardValue}},
		{"[resources.document.schema_contract]\ndata_type = \"freeze\"", normalize.Contract{Tables: normalize.Evolve, Columns: normalize.Evolve, DataType: normalize.Freeze}},
		{`schema_contract = {}`, normalize.EvolveAll},
	} {
		t.Run(tc.src, func(t *testing.T) {
			p := mustParseText(t, "[resources.document]\n"+tc.src+"\n")
			if got := p.Resources[0].Contract; got != tc.want {
				t.Errorf("Contract = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// wantErr is one expected problem: where ("line:col"), which key, and words the
// message must hold.
type wantErr struct {
	at, key string
	msg     []string
}

// configErrors returns the problems err carries, each a *ConfigError.
func configErrors(t *testing.T, err error) []*ConfigError {
	t.Helper()
	var many ConfigErrors
	if errors.As(err, &many) {
		return many
	}
	var one *ConfigError
	if errors.As(err, &one) {
		return []*ConfigError{one}
	}
	t.Fatalf("%T is not a config error: %v", err, err)
	return nil
}

func checkErrors(t *testing.T, file string, err error, want []wantErr) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	got := configErrors(t, err)
	if len(got) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		g := got[i]
		if at := fmt.Sprintf("%d:%d", g.Line, g.Column); at != w.at || g.Key != w.key {
			t.Errorf("error %d at %s key %q, want %s key %q: %v", i, at, g.Key, w.at, w.key, g)
		}
		for _, m := range w.msg {
			if !strings.Contains(g.Message, m) {
				t.Errorf("error %d %q lacks %q", i, g.Message, m)
			}
		}
		prefix := fmt.Sprintf("%s:%s: %s: ", file, w.at, w.key)
		switch {
		case w.at == "0:0":
			prefix = fmt.Sprintf("%s: %s: ", file, w.key)
		case w.key == "":
			prefix = fmt.Sprintf("%s:%s: ", file, w.at)
		}
		if !strings.HasPrefix(g.Error(), prefix) {
			t.Errorf("error %d reads %q, want it to start %q", i, g.Error(), prefix)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	const secret = "must not hold a secret: remove it and run `secoda-workbench secrets set` (or set SECODA_API_KEY)"
	for _, tc := range []struct {
		name string
		src  string
		want []wantErr
	}{
		// Unknown keys, with "did you mean".
		{"misspelt key", "[resources.document]\nincremntal = \"updated_at\"\n",
			[]wantErr{{"2:1", "resources.document.incremntal", []string{"unknown key in [resources.document]: did you mean incremental?", "Expected one of: endpoint, write_disposition, primary_key, incremental,"}}}},
		{"unknown section", "[sorce]\nbase_url = \"eu\"\n[resources.tag]\n",
			[]wantErr{{"1:2", "sorce", []string{"unknown section: did you mean source? Expected [pipeline], [destination], [source], [resources.<name>]"}}}},
		{"unknown key in source", "[source]\nbase_ur = \"eu\"\n[resources.tag]\n",
			[]wantErr{{"2:1", "source.base_ur", []string{"did you mean base_url?"}}}},
		{"unknown key, nothing close", "[pipeline]\ncolour = \"blue\"\n[resources.tag]\n",
			[]wantErr{{"2:1", "pipeline.colour", []string{"unknown key in [pipeline]; expected one of: name, dataset_name"}}}},
		{"unknown key in schema_contract", "[resources.tag]\nschema_contract = { column = \"freeze\" }\n",
			[]wantErr{{"2:21", "resources.tag.schema_contract.column", []string{"did you mean columns?"}}}},

		// Unknown endpoints.
		{"table of no endpoint", "[resources.documents]\n",
			[]wantErr{{"1:12", "resources.documents", []string{`unknown endpoint "documents": did you mean document?`, "`secoda-workbench endpoints` lists them", `endpoint = "..."`}}}},
		{"endpoint key of no endpoint", "[resources.docs]\nendpoint = \"documnet\"\n",
			[]wantErr{{"2:12", "resources.docs.endpoint", []string{`unknown endpoint "documnet": did you mean document?`}}}},
		{"nothing close", "[resources.zzzzzzzz]\n",
			[]wantErr{{"1:12", "resources.zzzzzzzz", []string{`unknown endpoint "zzzzzzzz"; ` + "`secoda-workbench endpoints`"}}}},

		// Wrong types.
		{"page_cap string", "[resources.document]\n  page_cap = \"ten\"\n",
			[]wantErr{{"2:14", "resources.document.page_cap", []string{"expected an integer, got a string"}}}},
		{"page_cap float", "[resources.document]\npage_cap = 1.5\n",
			[]wantErr{{"2:12", "resources.document.page_cap", []string{"expected an integer, got a float"}}}},
		{"rate_limit boolean", "[source]\nrate_limit = true\n[resources.tag]\n",
			[]wantErr{{"2:14", "source.rate_limit", []string{"expected a number, got a boolean"}}}},
		{"rate_limit inf", "[source]\nrate_limit = inf\n[resources.tag]\n",
			[]wantErr{{"2:14", "source.rate_limit", []string{"expected a finite number"}}}},
		{"incremental false", "[resources.document]\nincremental = false\n",
			[]wantErr{{"2:15", "resources.document.incremental", []string{`expected a string, got a boolean: the cursor field, or "" for none`}}}},
		{"section not a table", "pipeline = \"secoda\"\n[resources.tag]\n",
			[]wantErr{{"1:12", "pipeline", []string{"expected a table ([pipeline]), got a string"}}}},
		{"resource not a table", "[resources]\ndocument = true\ntag = {}\n",
			[]wantErr{{"2:12", "resources.document", []string{"expected a table ([resources.document]), got a boolean"}}}},
		{"filter of the wrong type", "[resources.resource_catalog]\nfilter = 3\n",
			[]wantErr{{"2:10", "resources.resource_catalog.filter", []string{"expected a table or a string holding JSON, got an integer"}}}},
		{"params value not a string", "[resources.team]\nparams = { include_archived = true }\n",
			[]wantErr{{"2:31", "resources.team.params.include_archived", []string{"expected a string, got a boolean", `include_archived = "true"`}}}},
		{"array of tables", "[[resources]]\n",
			[]wantErr{{"1:3", "resources", []string{"expected a table, got an array"}}}},

		// Values.
		{"write_disposition upsert", "[resources.document]\nwrite_disposition = \"upsert\"\n",
			[]wantErr{{"2:21", "resources.document.write_disposition", []string{`"upsert" is not a write disposition; use append, replace or merge`, "merge is the delete-insert"}}}},
		{"write_disposition misspelt", "[resources.document]\nwrite_disposition = \"mrege\"\n",
			[]wantErr{{"2:21", "resources.document.write_disposition", []string{"did you mean merge?"}}}},
		{"empty primary key", "[resources.document]\nprimary_key = \"\"\n",
			[]wantErr{{"2:15", "resources.document.primary_key", []string{"must not be empty"}}}},
		{"negative rate_limit", "[source]\nrate_limit = -5\n[resources.tag]\n",
			[]wantErr{{"2:14", "source.rate_limit", []string{"must be 0 (no pacing) or 1 to 60,000 requests a minute, got -5"}}}},
		{"concurrency 0", "[source]\nconcurrency = 0\ndetail_concurrency = -1\n[resources.tag]\n",
			[]wantErr{{"2:15", "source.concurrency", []string{"must be 1 to 32 resources, got 0"}},
				{"3:22", "source.detail_concurrency", []string{"must be 1 to 64 requests, got -1"}}}},
		{"base_url plain http", "[source]\nbase_url = \"http://secoda.example.com\"\n[resources.tag]\n",
			[]wantErr{{"2:12", "source.base_url", []string{"plain http"}}}},
		{"negative page_cap", "[resources.document]\npage_cap = -1\n",
			[]wantErr{{"2:12", "resources.document.page_cap", []string{"must be 0 (the default, 40,000 pages) or 1 to 1,000,000 pages, got -1"}}}},
		{"negative nesting", "[resources.document]\nmax_table_nesting = -1\n",
			[]wantErr{{"2:21", "resources.document.max_table_nesting", []string{"must be 0 to 1,000 levels, got -1"}}}},
		{"unknown contract mode", "[resources.document]\nschema_contract = \"freez\"\n",
			[]wantErr{{"2:19", "resources.document.schema_contract", []string{`unknown schema contract mode "freez"`, "did you mean freeze?"}}}},
		{"contract table mode", "[resources.document]\nschema_contract = { tables = \"evolve\", data_type = 1 }\n",
			[]wantErr{{"2:52", "resources.document.schema_contract.data_type", []string{"expected a mode (a string), got an integer"}}}},

		// Names.
		{"pipeline name", "[pipeline]\nname = \"My Pipeline\"\n[resources.tag]\n",
			[]wantErr{{"2:8", "pipeline.name", []string{`"My Pipeline" is not a valid name`, `use "my_pipeline"`}}}},
		{"dataset name", "[pipeline]\ndataset_name = \"secoda-data\"\n[resources.tag]\n",
			[]wantErr{{"2:16", "pipeline.dataset_name", []string{`use "secoda_data"`}}}},
		{"empty dataset name", "[pipeline]\ndataset_name = \"\"\n[resources.tag]\n",
			[]wantErr{{"2:16", "pipeline.dataset_name", []string{"must not be empty"}}}},
		{"resource name", "[resources.Docs]\nendpoint = \"document\"\n",
			[]wantErr{{"1:12", "resources.Docs", []string{`table name "Docs" is not a valid name`, `use "docs"`}}}},
		{"quoted resource name", "[resources.\"my docs\"]\nendpoint = \"document\"\n",
			[]wantErr{{"1:12", `resources."my docs"`, []string{`use "my_docs"`}}}},
		{"dlt system table", "[resources._dlt_loads]\nendpoint = \"document\"\n",
			[]wantErr{{"1:12", "resources._dlt_loads", []string{"dlt's system tables"}}}},

		// Destinations.
		{"postgres without a url", "[destination]\ntype = \"postgres\"\n[resources.tag]\n",
			[]wantErr{{"1:2", "destination", []string{`postgres needs url = "postgres://USER@HOST:PORT/DATABASE"`, "secrets set --destination", "SECODA_DESTINATION_PASSWORD"}}}},
		{"postgres url with a password", "[destination]\ntype = \"postgres\"\nurl = \"postgres://u:hunter2@h/db\"\n[resources.tag]\n",
			[]wantErr{{"3:7", "destination.url", []string{"the URL holds a password", "must never hold one"}}}},
		{"postgres url without a database", "[destination]\ntype = \"postgres\"\nurl = \"postgres://u@h\"\n[resources.tag]\n",
			[]wantErr{{"3:7", "destination.url", []string{"names no database"}}}},
		{"postgres with a path", "[destination]\ntype = \"postgres\"\nurl = \"postgres://u@h/db\"\npath = \"x\"\n[resources.tag]\n",
			[]wantErr{{"4:1", "destination.path", []string{"path is for duckdb and filesystem"}}}},
		{"duckdb with a url", "[destination]\nurl = \"postgres://u@h/db\"\n[resources.tag]\n",
			[]wantErr{{"2:1", "destination.url", []string{"url is for postgres; duckdb takes path"}}}},
		{"postgres table name too long", "[destination]\ntype = \"postgres\"\nurl = \"postgres://u@h/db\"\n[resources." + strings.Repeat("t", 64) + "]\nendpoint = \"tag\"\n",
			[]wantErr{{"4:12", "resources." + strings.Repeat("t", 64), []string{"table name is 64 bytes; the destination takes at most 63"}}}},
		{"misspelt destination", "[destination]\ntype = \"duckbd\"\n[resources.tag]\n",
			[]wantErr{{"2:8", "destination.type", []string{`unknown destination "duckbd": did you mean duckdb?`, "duckdb, postgres, filesystem"}}}},
		{"empty destination path", "[destination]\npath = \"\"\n[resources.tag]\n",
			[]wantErr{{"2:8", "destination.path", []string{"must not be empty"}}}},

		// Filter, sort, params.
		{"filter on a non-catalog endpoint", "[resources.collection]\nfilter = { operator = \"exact\", field = \"title\", value = \"x\" }\n",
			[]wantErr{{"2:1", "resources.collection.filter", []string{"collection does not take a filter: only resource_catalog takes the catalog's filter and sort", "params: title"}}}},
		{"sort on a non-catalog endpoint", "[resources.document]\nsort = '{\"field\": \"title\"}'\n",
			[]wantErr{{"2:1", "resources.document.sort", []string{"document does not take a sort"}}}},
		{"unknown filter operator", "[resources.resource_catalog]\nfilter = { operator = \"equals\", field = \"type\", value = \"table\" }\n",
			[]wantErr{{"2:23", "resources.resource_catalog.filter.operator", []string{`unknown operator "equals"`, "use exact, contains, in, is_set, and, or, not"}}}},
		{"misspelt filter key", "[resources.resource_catalog]\nfilter = { operator = \"exact\", feild = \"type\", value = \"table\" }\n",
			[]wantErr{{"2:10", "resources.resource_catalog.filter", []string{`operator "exact" needs a field`}},
				{"2:32", "resources.resource_catalog.filter.feild", []string{"did you mean field?"}}}},
		{"in takes a list", "[resources.resource_catalog]\nfilter = { operator = \"in\", field = \"type\", value = \"table\" }\n",
			[]wantErr{{"2:53", "resources.resource_catalog.filter.value", []string{`operator "in" takes a list value, got a string`}}}},
		{"not takes one operand", `[resources.resource_catalog]
filter = { operator = "not", operands = [
  { operator = "is_set", field = "description" },
  { operator = "is_set", field = "title" },
] }
`, []wantErr{{"2:30", "resources.resource_catalog.filter.operands", []string{`operator "not" takes one operand, got 2`}}}},
		{"nested filter problem", `[resources.resource_catalog]
filter = { operator = "and", operands = [
  { operator = "exact", field = "type", value = "table" },
  { operator = "contains", field = "title" },
] }
`, []wantErr{{"4:3", "resources.resource_catalog.filter.operands[1]", []string{`operator "contains" needs a value`}}}},
		{"leaf with operands", "[resources.resource_catalog]\nfilter = { operator = \"exact\", field = \"type\", value = \"t\", operands = [] }\n",
			[]wantErr{{"2:61", "resources.resource_catalog.filter.operands", []string{`operator "exact" takes field and value, not operands`}}}},
		{"filter JSON problem", "[resources.resource_catalog]\nfilter = '{\"operator\": \"or\", \"operands\": [{\"operator\": \"in\", \"field\": \"type\", \"value\": \"table\"}]}'\n",
			[]wantErr{{"2:10", "resources.resource_catalog.filter", []string{`in the JSON at operands[0].value: operator "in" takes a list value`}}}},
		{"filter not JSON", "[resources.resource_catalog]\nfilter = '{\"operator\": '\n",
			[]wantErr{{"2:10", "resources.resource_catalog.filter", []string{"not valid JSON"}}}},
		{"filter JSON not an object", "[resources.resource_catalog]\nfilter = '[1]'\n",
			[]wantErr{{"2:10", "resources.resource_catalog.filter", []string{"expected a filter"}}}},
		{"sort order", "[resources.resource_catalog]\nsort = { field = \"updated_at\", order = \"descending\" }\n",
			[]wantErr{{"2:40", "resources.resource_catalog.sort.order", []string{`order "descending": use asc or desc`}}}},
		{"sort without a field", "[resources.resource_catalog]\nsort = '{\"order\": \"desc\", \"tie_breaker\": null}'\n",
			[]wantErr{{"2:8", "resources.resource_catalog.sort", []string{"the sort needs a field"}},
				{"2:8", "resources.resource_catalog.sort", []string{"in the JSON at tie_breaker: expected a sort"}}}},
		{"unknown param", "[resources.collection]\nparams = { titel = \"Finance\" }\n",
			[]wantErr{{"2:12", "resources.collection.params.titel", []string{"unknown parameter: did you mean title? The endpoint collection takes title"}}}},
		{"params on an endpoint without any", "[resources.document]\nparams = { title = \"x\" }\n",
			[]wantErr{{"2:12", "resources.document.params.title", []string{"document takes no params"}}}},
		{"filter under params", "[resources.resource_catalog.params]\nfilter = \"{}\"\n",
			[]wantErr{{"2:1", "resources.resource_catalog.params.filter", []string{"filter goes in [resources.resource_catalog] itself"}}}},

		// Secrets: the message, never the value.
		{"api_key in source", "[source]\napi_key = \"redacted-test-value\"\n[resources.tag]\n",
			[]wantErr{{"2:1", "source.api_key", []string{secret}}}},
		{"top-level token", "token = \"redacted-test-value\"\n[resources.tag]\n",
			[]wantErr{{"1:1", "token", []string{secret}}}},
		{"secrets table", "[secrets]\nvalue = \"redacted-test-value\"\n[resources.tag]\n",
			[]wantErr{{"1:2", "secrets", []string{secret}}}},
		{"password in a resource", "[resources.tag]\npassword = \"redacted-test-value\"\n",
			[]wantErr{{"2:1", "resources.tag.password", []string{secret}}}},
		{"key in params", "[resources.collection]\nparams = { key = \"redacted-test-value\" }\n",
			[]wantErr{{"2:12", "resources.collection.params.key", []string{secret}}}},
		{"apiKey in a filter", "[resources.resource_catalog]\nfilter = { operator = \"is_set\", field = \"x\", apiKey = \"redacted-test-value\" }\n",
			[]wantErr{{"2:46", "resources.resource_catalog.filter.apiKey", []string{secret}}}},
		{"client_secret as a resource", "[resources]\nclient_secret = \"redacted-test-value\"\ntag = {}\n",
			[]wantErr{{"2:1", "resources.client_secret", []string{secret}}}},

		// The whole file.
		{"no resources", "[pipeline]\nname = \"x\"\n",
			[]wantErr{{"0:0", "resources", []string{"no resources: add a [resources.<name>] section, or run `secoda-workbench scaffold`"}}}},
		{"empty resources", "[resources]\n",
			[]wantErr{{"1:2", "resources", []string{"no resources"}}}},
		{"empty file", "",
			[]wantErr{{"0:0", "resources", []string{"no resources"}}}},
		{"syntax error", "[resources.document]\npage_cap = \n",
			[]wantErr{{"2:12", "", []string{"TOML syntax"}}}},
		{"duplicate key", "[resources.document]\npage_cap = 1\npage_cap = 2\n",
			[]wantErr{{"3:1", "page_cap", []string{"TOML syntax", "already defined"}}}},
		{"syntax error stops at the first", "[resources.documents]\nx = = 1\ny = = 2\n",
			[]wantErr{{"2:5", "", []string{"TOML syntax"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseText(t, tc.src)
			checkErrors(t, ConfigFileName, err, tc.want)
			if err != nil && strings.Contains(err.Error(), "redacted-test-value") {
				t.Errorf("the error shows the value: %v", err)
			}
		})
	}
}

// TestParseConfigManyErrors: one pass reports every problem, sorted by line.
func TestParseConfigManyErrors(t *testing.T) {
	file := filepath.Join("testdata", "config", "errors.toml")
	_, err := LoadConfig(file)
	checkErrors(t, file, err, []wantErr{
		{"3:8", "pipeline.name", []string{`use "nightly_pipeline"`}},
		{"6:14", "source.rate_limit", []string{"expected a number, got a boolean"}},
		{"7:1", "source.api_key", []string{"must not hold a secret"}},
		{"9:12", "resources.documents", []string{"did you mean document?"}},
		{"12:1", "resources.collection.incremntal", []string{"did you mean incremental?"}},
		{"13:12", "resources.collection.page_cap", []string{"expected an integer, got a string"}},
		{"14:21", "resources.collection.write_disposition", []string{`"upsert" is not a write disposition`}},
		{"15:1", "resources.collection.filter", []string{"collection does not take a filter"}},
	})
	var many ConfigErrors
	if !errors.As(err, &many) {
		t.Fatalf("%T, want ConfigErrors", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(many) || !strings.HasPrefix(lines[0], filepath.Join("testdata", "config", "errors.toml")+":3:8: pipeline.name: ") {
		t.Errorf("Error() =\n%s", err)
	}
	if strings.Contains(err.Error(), "redacted-test-value") {
		t.Error("the error shows the secret's value")
	}
	var one *ConfigError
	if !errors.As(err, &one) || one.Line != 3 {
		t.Errorf("errors.As finds %+v", one)
	}
}

func TestLoadConfigMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), ConfigFileName)
	_, err := LoadConfig(path)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("errors.Is(%v, os.ErrNotExist) is false", err)
	}
	want := path + ": the file is missing: run `secoda-workbench scaffold` to write one"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestLoadConfigDirectory(t *testing.T) {
	_, err := LoadConfig(t.TempDir())
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(ce.Message, "cannot read the file") {
		t.Errorf("error = %v", err)
	}
}

func TestLoadConfigRelativePaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "project", ConfigFileName)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("[destination]\npath = \"data/x.duckdb\"\n[resources.tag]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.File != path || p.Dir != filepath.Dir(path) || p.DestinationPath != filepath.Join(dir, "project", "data", "x.duckdb") {
		t.Errorf("File %s, Dir %s, DestinationPath %s", p.File, p.Dir, p.DestinationPath)
	}
}

func TestConfigErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		err  ConfigError
		want string
	}{
		{ConfigError{File: "secoda_pipeline.toml", Line: 12, Column: 3, Key: "resources.document.page_cap", Message: "expected an integer, got a string"},
			"secoda_pipeline.toml:12:3: resources.document.page_cap: expected an integer, got a string"},
		{ConfigError{File: "secoda_pipeline.toml", Key: "resources", Message: "no resources"}, "secoda_pipeline.toml: resources: no resources"},
		{ConfigError{File: "a.toml", Line: 2, Message: "m"}, "a.toml:2: m"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestLooksLikeSecret(t *testing.T) {
	for key, want := range map[string]bool{
		"api_key": true, "apiKey": true, "API_KEY": true, "key": true, "token": true, "access_token": true,
		"password": true, "secret": true, "client_secret": true, "credentials": true, "secoda_api_key": true,
		"primary_key": false, "page_cap": false, "monkey": false, "title": false, "keyboard": false,
	} {
		if got := looksLikeSecret(key); got != want {
			t.Errorf("looksLikeSecret(%q) = %v", key, got)
		}
	}
}

// TestConfigFieldTypesDecodable: every field of Config has a type the decoder takes,
// so that a field added to config.go cannot reach users as "cannot read this key".
func TestConfigFieldTypesDecodable(t *testing.T) {
	var check func(path string, typ reflect.Type)
	check = func(path string, typ reflect.Type) {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice:
			check(path, typ.Elem())
		case reflect.Map:
			if typ.Key().Kind() != reflect.String {
				t.Errorf("%s: map keys must be strings, not %s", path, typ.Key())
			}
			check(path, typ.Elem())
		case reflect.Struct:
			names, index := tomlFields(typ)
			for _, n := range names {
				check(path+"."+n, typ.Field(index[n]).Type)
			}
		case reflect.String, reflect.Int, reflect.Float64, reflect.Bool:
		case reflect.Interface:
			if _, ok := anyExpectation[path[strings.LastIndex(path, ".")+1:]]; !ok {
				t.Errorf("%s: add what it takes to anyExpectation", path)
			}
		default:
			t.Errorf("%s: the config decoder does not take %s", path, typ)
		}
	}
	check("config", reflect.TypeFor[Config]())
}

func FuzzParseConfig(f *testing.F) {
	for _, dir := range []string{filepath.Join("testdata", "config"), filepath.Join("testdata", "scaffold")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		"[resources.document]\n",
		"[resources.resource_catalog]\nfilter = '{\"operator\":\"not\",\"operands\":[{\"operator\":\"in\",\"field\":\"type\",\"value\":[1]}]}'\n",
		"[[resources.x.filter.operands]]\n",
		"resources.tag = {}\nresources.tag.page_cap = 1\n",
		"[a]\n[[a.b]]\n[a.b.c]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseConfig(ConfigFileName, data)
		if err != nil {
			_ = err.Error()
			configErrors(t, err)
			return
		}
		if len(p.Resources) == 0 {
			t.Fatal("a plan with no resources")
		}
		for _, r := range p.Resources {
			e, ok := secoda.LookupEndpoint(r.Endpoint.Name)
			if !ok || !reflect.DeepEqual(e, r.Endpoint) {
				t.Fatalf("resource %s has endpoint %+v, not the catalog's", r.Name, r.Endpoint)
			}
		}
	})
}

// TestReadMemoryIsForTheDestinationsDuckDBRuns: read_memory_mb sets the plan's read
// memory for duckdb and filesystem, and is refused for postgres, whose queries run on
// the server.
func TestReadMemoryIsForTheDestinationsDuckDBRuns(t *testing.T) {
	for _, typ := range []string{"duckdb", "filesystem"} {
		plan, err := ParseConfig("", []byte("[destination]\ntype = \""+typ+"\"\nread_memory_mb = 1024\n[resources.tag]\n"))
		if err != nil || plan.ReadMemory != 1<<30 {
			t.Fatalf("%s: %v %+v", typ, err, plan)
		}
	}
	_, err := ParseConfig("", []byte("[destination]\ntype = \"postgres\"\nurl = \"postgres://u@localhost/db\"\nread_memory_mb = 1024\n[resources.tag]\n"))
	if err == nil || !strings.Contains(err.Error(), "4:1") || !strings.Contains(err.Error(), "work_mem") {
		t.Fatalf("postgres: %v", err)
	}
}

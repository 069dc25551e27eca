package tools

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestQueryDataset(t *testing.T) {
	f := loaded(t)
	q := QueryDataset(f.d)
	var out QueryResult
	res := call(t, q, map[string]any{"sql": "select entity_type, count(*) as n from resource_catalog group by 1 order by n desc"})
	structured(t, res, &out)
	if out.RowCount == 0 || out.Columns[1] != "n" || out.Rows[0]["entity_type"] != "column" || out.Truncated {
		t.Fatalf("%+v", out)
	}
	if !strings.HasPrefix(text(res), "| entity_type | n |\n|---|---|\n| column |") {
		t.Fatalf("markdown:\n%s", text(res))
	}
	res = call(t, q, map[string]any{"sql": "select id from resource_catalog order by id", "limit": 5, "format": "csv"})
	structured(t, res, &out)
	if out.RowCount != 5 || !out.Truncated || !strings.Contains(out.More, "limit") || !strings.HasPrefix(text(res), "id\n") {
		t.Fatalf("%+v\n%s", out, text(res))
	}
	res = call(t, q, map[string]any{"sql": "select count(*) as n from resource_catalog", "format": "json"})
	if !strings.HasPrefix(text(res), `[{"n":201}]`) {
		t.Fatalf("json: %s", text(res))
	}
	for sql, why := range map[string]string{
		"DROP TABLE resource_catalog":                  "only a query",
		"COPY (SELECT 1) TO '/tmp/secoda_tools_x.csv'": "only a query",
		"SELECT * FROM read_text('/etc/passwd')":       "files",
		"ATTACH '/tmp/o.duckdb' AS o":                  "only a query",
		"INSTALL httpfs":                               "only a query",
		"SET threads = 1":                              "only a query",
		"select from where":                            "error",
	} {
		wantError(t, call(t, q, map[string]any{"sql": sql}), why)
	}
	wantError(t, call(t, q, map[string]any{"sql": "select 1", "limit": 5000}), "limit 5000")
	wantError(t, call(t, q, map[string]any{"sql": "select 1", "format": "xml"}), "markdown, json or csv")
	structured(t, call(t, q, map[string]any{"sql": "select count(*) as n from resource_catalog"}), &out)
	if out.Rows[0]["n"] != float64(201) {
		t.Fatalf("after the hostile queries: %+v", out.Rows)
	}
}

func TestQueryBeforeAnyLoad(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	wantError(t, call(t, QueryDataset(f.d), map[string]any{"sql": "select 1"}), "scaffold")
	f.config(t, "[resources.collection]\n")
	wantError(t, call(t, QueryDataset(f.d), map[string]any{"sql": "select 1"}), "run_pipeline")
}

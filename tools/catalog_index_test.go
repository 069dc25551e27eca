package tools

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// indexQueries are searches of every tier and filter, for the small workspace.
var indexQueries = []map[string]any{
	{"query": "fct_customers"}, {"query": "fct_cust"}, {"query": "customers fct"}, {"query": "custmers"},
	{"query": "nightly dbt"}, {"query": "customer", "limit": 50}, {"query": "orders", "entity_type": "column"},
	{"query": "customer", "integration": "snowflake"}, {"query": "zzzz qqqq"},
}

func indexFile(f *fixture) string {
	return filepath.Join(f.d.Dir, ".secoda-workbench", "search", "secoda_pipeline.duckdb")
}

// TestSearchIndexAnswersAsTheDatasetDoes: every search gives the same results from
// the index as from the dataset itself (read when no index can be made: here the
// index's folder is a file).
func TestSearchIndexAnswersAsTheDatasetDoes(t *testing.T) {
	f := catalogLoaded(t)
	answers := func() []string {
		var out []string
		for _, q := range indexQueries {
			res := search(t, f, q)
			b, _ := json.Marshal(res)
			out = append(out, string(b))
		}
		return out
	}
	indexed := answers()
	if _, err := os.Stat(indexFile(f)); err != nil {
		t.Fatalf("no search index: %v", err)
	}
	folder := filepath.Dir(indexFile(f))
	if err := os.RemoveAll(folder); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(folder, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	direct := answers()
	for i, q := range indexQueries {
		if indexed[i] != direct[i] {
			t.Errorf("%v:\nindex:   %s\ndataset: %s", q, indexed[i], direct[i])
		}
	}
	if indexed[0] == indexed[len(indexed)-1] {
		t.Fatal("the searches answer alike: they test nothing")
	}
}

// TestSearchIndexFollowsTheLoads: a load by another writer (a resource and a
// _dlt_loads row added to the file, as dlt would) is found by the next search; the
// index is built again for it.
func TestSearchIndexFollowsTheLoads(t *testing.T) {
	f := catalogLoaded(t)
	if out := search(t, f, map[string]any{"query": "brand_new_table"}); out.Count != 0 {
		t.Fatalf("found before it was loaded: %+v", out)
	}
	before, err := os.Stat(indexFile(f))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", filepath.Join(f.d.Dir, "secoda.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO secoda_data.resource_catalog (id, _dlt_id, _dlt_load_id, entity_type, title) VALUES ('new-id', 'newdltid000001', '9999999999.000001', 'table', 'brand_new_table')`,
		`INSERT INTO secoda_data._dlt_loads (load_id, schema_name, status, inserted_at, schema_version_hash) SELECT '9999999999.000001', schema_name, 0, now(), schema_version_hash FROM secoda_data._dlt_loads LIMIT 1`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out := search(t, f, map[string]any{"query": "brand_new_table"})
	if out.Count != 1 || out.Results[0].ID != "new-id" || out.Results[0].Match != "exact" {
		t.Fatalf("the new resource is not found: %+v", out)
	}
	after, err := os.Stat(indexFile(f))
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Fatal("the index was not built again")
	}
	if out := search(t, f, map[string]any{"query": "fct_customers"}); out.Count == 0 {
		t.Fatalf("the rebuilt index lost the rest: %+v", out)
	}
}

package tools

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/internal/pgtest"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// The million-resource catalog the catalog tools are tested and timed on: titles from
// a few hundred words (so that many share each word), descriptions and definitions on
// most, an owner and two tags each, and two million lineage rows (each resource
// upstream of the next, listed both ways as Secoda lists an edge), with one
// customer_orders to find. The same rows on each destination (the ids are random).
var millionSQL = []string{
	`CREATE TABLE secoda_data.resource_catalog AS SELECT id, _dlt_id, title, entity_type,
		(ARRAY['prod','analytics'])[1 + i % 2] || '.' || (ARRAY['public','marts','staging'])[1 + i % 3] || '.' || title AS title_full,
		description, definition, parent_id, total_usage FROM (SELECT i, {uuid} AS id, left(md5(CAST(i AS VARCHAR)), 14) AS _dlt_id,
		(ARRAY['stg','int','dim','fct','raw','rpt','agg'])[1 + i % 7] || '_' ||
		(ARRAY['customer','order','payment','session','lead','invoice','product','account','refund','shipment','campaign','ticket'])[1 + (i {div} 7) % 12] ||
		's_' || CAST(i {div} 84 AS VARCHAR) AS title,
		(ARRAY['table','column','dashboard','chart','glossary'])[1 + i % 5] AS entity_type,
		CASE WHEN i % 4 = 3 THEN NULL ELSE (ARRAY['One row per order line; amounts in the order currency.', 'Owned by the analytics team. Ask in #data before changing.',
		  'Built nightly by dbt from the raw events.'])[1 + i % 3] || ' Batch ' || CAST(i % 7777 AS VARCHAR) || '.' END AS description,
		CASE WHEN i % 10 < 3 THEN '' ELSE '<p>Loaded from source ' || CAST(i * 31 % 99991 AS VARCHAR) || '.</p><p>See <a href="https://wiki.example.com/data?x=1">the wiki</a>.</p>' END AS definition,
		CAST(NULL AS VARCHAR) AS parent_id, CAST((i * 7919) % 10000 AS BIGINT) AS total_usage FROM {range} AS t(i)) s`,
	`INSERT INTO secoda_data.resource_catalog VALUES ({uuid}, left(md5('1000000'), 14), 'customer_orders', 'table',
		'prod.public.customer_orders', 'One row per order of a customer.', '', NULL, 10)`,
	`CREATE TABLE secoda_data._dlt_loads AS SELECT '1764633600.000001' AS load_id, 'secoda' AS schema_name, 0 AS status,
		CAST('2025-12-02' AS TIMESTAMP) AS inserted_at, 'h' AS schema_version_hash`,
	`CREATE TABLE secoda_data.resource_catalog__owners AS SELECT left(md5(CAST(i AS VARCHAR)), 14) AS _dlt_parent_id, {uuid} AS value,
		0 AS _dlt_list_idx FROM {range1} AS t(i)`,
	`CREATE TABLE secoda_data.resource_catalog__tags AS SELECT left(md5(CAST(i {div} 2 AS VARCHAR)), 14) AS _dlt_parent_id, {uuid} AS value,
		i % 2 AS _dlt_list_idx FROM {range2} AS t(i)`,
	`CREATE TABLE secoda_data.lineage AS WITH n AS (SELECT id, row_number() OVER (ORDER BY _dlt_id) AS i FROM secoda_data.resource_catalog)
		SELECT a.id AS from_entity_id, b.id AS to_entity_id, 'DOWNSTREAM' AS direction FROM n a JOIN n b ON b.i = a.i + 1
		UNION ALL SELECT b.id, a.id, 'UPSTREAM' FROM n a JOIN n b ON b.i = a.i + 1`,
}

// millionStatements are millionSQL in DuckDB's dialect or PostgreSQL's.
func millionStatements(postgres bool) []string {
	r := strings.NewReplacer("{uuid}", "uuid()::VARCHAR", "{uuid}", "uuid()::VARCHAR", "{range}", "range(1000000)", "{range1}", "range(1000001)", "{range2}", "range(2000002)", "{div}", "//")
	if postgres {
		r = strings.NewReplacer("{uuid}", "gen_random_uuid()::text", "{uuid}", "gen_random_uuid()::text", "{range}", "generate_series(CAST(0 AS BIGINT), 999999)",
			"{range1}", "generate_series(CAST(0 AS BIGINT), 1000000)", "{range2}", "generate_series(CAST(0 AS BIGINT), 2000001)", "{div}", "/")
	}
	out := []string{"CREATE SCHEMA secoda_data"}
	for _, q := range millionSQL {
		out = append(out, r.Replace(q))
	}
	return out
}

// millionCatalog is a project whose DuckDB file holds the million-resource catalog.
func millionCatalog(b testing.TB) *fixture { return millionProject(b, "duckdb") }

// millionProject is a project whose destination of kind (duckdb, filesystem or
// postgres) holds the million-resource catalog.
func millionProject(b testing.TB, kind string) *fixture {
	b.Helper()
	f := newFixture(b, simulator.Options{})
	section := ""
	if kind != "duckdb" {
		section, _ = f.destination(b, kind)
	}
	f.config(b, section+"[resources.resource_catalog]\n[resources.lineage]\n")
	if kind == "postgres" {
		millionPostgres(b, f)
		return f
	}
	path := filepath.Join(f.d.Dir, "secoda.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, q := range millionStatements(false) {
		if _, err := db.Exec(q); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	if kind == "filesystem" {
		millionParquet(b, f, db)
		db.Close()
		os.Remove(path)
	}
	return f
}

// millionParquet writes the catalog's tables as one load of the filesystem
// destination: a file a table, _dlt_loads' file, and _workbench_runs' file listing them.
func millionParquet(b testing.TB, f *fixture, db *sql.DB) {
	const load = "1764633600.000001"
	dir := filepath.Join(f.d.Dir, "data", "secoda_data")
	files := map[string][]string{}
	for _, t := range []string{"resource_catalog", "resource_catalog__owners", "resource_catalog__tags", "lineage", "_dlt_loads"} {
		if err := os.MkdirAll(filepath.Join(dir, t), 0o755); err != nil {
			b.Fatal(err)
		}
		name := filepath.Join(t, load+".parquet")
		if _, err := db.Exec(fmt.Sprintf("COPY secoda_data.%s TO '%s' (FORMAT parquet)", t, filepath.Join(dir, name))); err != nil {
			b.Fatal(err)
		}
		if t != "_dlt_loads" {
			files[t] = []string{name}
		}
	}
	list := "{"
	for t, fs := range files {
		if len(list) > 1 {
			list += ", "
		}
		list += fmt.Sprintf("%q: [%q]", t, fs[0])
	}
	list += "}"
	if err := os.MkdirAll(filepath.Join(dir, "_workbench_runs"), 0o755); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("COPY (SELECT '%s' AS load_id, CAST('%s' AS JSON) AS files) TO '%s' (FORMAT parquet)", load, list,
		filepath.Join(dir, "_workbench_runs", load+".parquet"))); err != nil {
		b.Fatal(err)
	}
}

// millionPostgres makes the catalog in the fixture's PostgreSQL database.
func millionPostgres(b testing.TB, f *fixture) {
	url := ""
	for _, line := range strings.Split(readFile(b, filepath.Join(f.d.Dir, "secoda_pipeline.toml")), "\n") {
		if v, ok := strings.CutPrefix(line, "url = "); ok {
			url = strings.Trim(v, `"`)
		}
	}
	conn, err := pgtest.Connect(context.Background(), url, f.env[secrets.EnvDestinationPassword])
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range millionStatements(true) {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	if _, err := conn.Exec(context.Background(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCatalogToolsAnswerOnAMillionResources: the four catalog tools answer on a
// million resources within a read's memory, on each destination (the figures are
// BenchmarkCatalogToolsMillionResources's).
func TestCatalogToolsAnswerOnAMillionResources(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a million-resource catalog on each destination")
	}
	for _, kind := range []string{"duckdb", "filesystem", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			f := millionProject(t, kind)
			s := search(t, f, map[string]any{"query": "custmer_orders"})
			if s.Count == 0 || s.Results[0].Title != "customer_orders" || len(s.Results[0].Tags) != 2 || len(s.Results[0].Owners) != 1 {
				t.Fatalf("search: %+v", s)
			}
			var d DescribeResourceOut
			structured(t, call(t, DescribeResource(f.d), map[string]any{"resource": "prod.public.customer_orders"}), &d)
			if d.Lineage.Upstream != 1 || d.Lineage.Downstream != 1 || len(d.Tags) != 2 {
				t.Fatalf("describe: %+v", d)
			}
			var l GetLineageOut
			structured(t, call(t, GetLineage(f.d), map[string]any{"resource": "prod.public.customer_orders", "direction": "both", "depth": 3}), &l)
			if len(l.Edges) != 6 || !l.Deeper {
				t.Fatalf("lineage: %+v", l)
			}
			var r CatalogReportOut
			structured(t, call(t, CatalogReport(f.d), nil), &r)
			if len(r.Figures) == 0 || r.Figures[0].Total != 1_000_001 {
				t.Fatalf("report: %+v", r.Figures)
			}
		})
	}
}

// BenchmarkCatalogToolsMillionResources times the catalog tools on the million
// resources, each destination a sub-benchmark (search with its index built first).
func BenchmarkCatalogToolsMillionResources(b *testing.B) {
	for _, kind := range []string{"duckdb", "filesystem", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			f := millionProject(b, kind)
			// The first search after a load builds the index from this destination.
			b.Run("index build", func(b *testing.B) {
				for b.Loop() {
					if err := os.RemoveAll(filepath.Dir(indexFile(f))); err != nil {
						b.Fatal(err)
					}
					var out SearchCatalogOut
					structured(b, call(b, SearchCatalog(f.d), map[string]any{"query": "customer_orders"}), &out)
					if _, err := os.Stat(indexFile(f)); err != nil || out.Count == 0 {
						b.Fatalf("no index (%v) or no answer %+v", err, out)
					}
				}
			})
			for _, bc := range []struct {
				name string
				tool Tool
				args map[string]any
			}{
				{"search typo", SearchCatalog(f.d), map[string]any{"query": "custmer_orders"}},
				{"search ten results", SearchCatalog(f.d), map[string]any{"query": "fct_customers"}},
				{"describe by path", DescribeResource(f.d), map[string]any{"resource": "prod.public.customer_orders"}},
				{"lineage depth 3", GetLineage(f.d), map[string]any{"resource": "prod.public.customer_orders", "direction": "both", "depth": 3}},
				{"report", CatalogReport(f.d), nil},
			} {
				b.Run(bc.name, func(b *testing.B) {
					for b.Loop() {
						if res := call(b, bc.tool, bc.args); res.IsError {
							b.Fatalf("%s", text(res))
						}
					}
				})
			}
		})
	}
}

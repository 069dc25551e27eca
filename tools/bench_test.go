package tools

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// BenchmarkQueryDatasetMillionRows times query_dataset's aggregate over a million-row
// catalog table, opening the file read-only, classifying the SQL and closing, as each
// call does.
func BenchmarkQueryDatasetMillionRows(b *testing.B) {
	f := newFixture(b, simulator.Options{})
	f.config(b, "[resources.resource_catalog]\n")
	db, err := sql.Open("duckdb", filepath.Join(f.d.Dir, "secoda.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{
		"CREATE SCHEMA secoda_data",
		`CREATE TABLE secoda_data.resource_catalog AS SELECT uuid()::VARCHAR AS id, 'resource ' || i AS title,
			['table','column','dashboard','chart','glossary'][1 + i % 5] AS entity_type, (i * 7919) % 10000 AS total_usage,
			TIMESTAMPTZ '2024-01-01' + to_seconds(i) AS updated_at FROM range(1000000) t(i)`,
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	q := QueryDataset(f.d)
	args := map[string]any{"sql": "select entity_type, count(*) as n, sum(total_usage) as usage, max(updated_at) as last from resource_catalog group by 1 order by n desc"}
	for b.Loop() {
		var out QueryResult
		structured(b, call(b, q, args), &out)
		if out.RowCount != 5 {
			b.Fatalf("%+v", out)
		}
	}
}

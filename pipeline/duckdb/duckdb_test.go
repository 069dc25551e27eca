package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// seeded makes a DuckDB file with a dataset and one table, written without this package.
func seeded(t *testing.T) *Destination {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secoda.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE SCHEMA secoda_data",
		"CREATE TABLE secoda_data.resource_catalog (id VARCHAR, title VARCHAR, n BIGINT)",
		"INSERT INTO secoda_data.resource_catalog VALUES ('a', 'x', 1), ('b', 'y', 2), ('c', 'z', 3)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	return New(path, "secoda_data")
}

func TestQueryReadsTheDatasetUnqualifiedAndBounded(t *testing.T) {
	d := seeded(t)
	res, err := d.Query(context.Background(), "SELECT id, n FROM resource_catalog ORDER BY id", dest.Rows(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || !res.Truncated || res.Columns[0] != "id" || res.Rows[1][1] != int64(2) || res.Types[1] != "BIGINT" {
		t.Fatalf("%+v", res)
	}
	res, err = d.Query(context.Background(), "SELECT count(*) FROM resource_catalog", dest.Rows(10))
	if err != nil || res.Truncated || res.Rows[0][0] != int64(3) {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestQueryIsReadOnlyByConstruction: every way to write, reach files or change settings
// fails in DuckDB itself, with a message that says why, and changes nothing.
func TestQueryIsReadOnlyByConstruction(t *testing.T) {
	d := seeded(t)
	outside := filepath.Join(t.TempDir(), "leak.csv")
	hostile := map[string]string{
		"DROP TABLE resource_catalog":                       "only a query",
		"DELETE FROM resource_catalog":                      "only a query",
		"INSERT INTO resource_catalog VALUES ('d', 'w', 4)": "only a query",
		"UPDATE resource_catalog SET n = 0":                 "only a query",
		"CREATE TABLE x AS SELECT 1":                        "only a query",
		"COPY (SELECT 1) TO '" + outside + "'":              "only a query",
		"SELECT * FROM read_csv('/etc/passwd')":             "files",
		"SELECT * FROM read_text('/etc/passwd')":            "files",
		"SELECT * FROM 'https://example.com/x.parquet'":     "files",
		"ATTACH '" + outside + ".duckdb' AS o":              "only a query",
		"INSTALL httpfs":                                    "only a query",
		"LOAD httpfs":                                       "only a query",
		"SET enable_external_access = true":                 "only a query",
		"SELECT 1; SET threads = 1":                         "only a query",
		"PRAGMA enable_profiling":                           "only a query",
		"CALL pragma_version()":                             "only a query",
		"SELECT 1; SELECT 2":                                "one statement",
		"SELECT * FROM":                                     "parser error",
	}
	for q, why := range hostile {
		_, err := d.Query(context.Background(), q, dest.Rows(10))
		if err == nil {
			t.Errorf("%s: ran", q)
			continue
		}
		if why != "" && !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v (want it to say %q)", q, err, why)
		}
	}
	if _, err := os.Stat(outside); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("COPY wrote a file")
	}
	for _, q := range []string{"SHOW TABLES", "DESCRIBE resource_catalog", "SUMMARIZE resource_catalog", "FROM resource_catalog", "WITH x AS (SELECT 1) SELECT * FROM x", "VALUES (1)"} {
		if _, err := d.Query(context.Background(), q, dest.Rows(10)); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	res, err := d.Query(context.Background(), "SELECT count(*) FROM resource_catalog", dest.Rows(1))
	if err != nil || res.Rows[0][0] != int64(3) {
		t.Fatalf("after the hostile queries: %+v %v", res, err)
	}
}

// TestTheEngineRefusesWhatTheParserLetsThrough: the connection's own guards hold even
// for SQL that reaches DuckDB (the classification is a second layer, not the only one).
func TestTheEngineRefusesWhatTheParserLetsThrough(t *testing.T) {
	d := seeded(t)
	db, err := d.open(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for q, why := range map[string]string{
		"DROP TABLE resource_catalog":           "read-only",
		"COPY (SELECT 1) TO '/tmp/x.csv'":       "disabled by configuration",
		"ATTACH '/tmp/other.duckdb' AS o":       "disabled by configuration",
		"SET enable_external_access = true":     "locked",
		"SELECT * FROM read_csv('/etc/passwd')": "disabled by configuration",
	} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v (want %q)", q, err, why)
		}
	}
}

func TestQueryTimeLimit(t *testing.T) {
	d := seeded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50_000_000) // 50 ms
	defer cancel()
	_, err := d.Query(ctx, "SELECT count(*) FROM range(10000000000) a", dest.Rows(1))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "time limit") {
		t.Fatalf("want the time limit, got %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	d := New(filepath.Join(t.TempDir(), "none.duckdb"), "secoda_data")
	if _, err := d.Query(context.Background(), "SELECT 1", dest.Rows(1)); !errors.Is(err, dest.ErrNoData) || !strings.Contains(err.Error(), "secoda-workbench run") {
		t.Fatalf("%v", err)
	}
	st, err := d.ReadStored(context.Background(), "p", normalize.SchemaName)
	if err != nil || st.Schema != nil || st.State != nil {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := os.Stat(d.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("reading the state created the file")
	}
}

func TestStateCompressionIsDlts(t *testing.T) {
	state := []byte(`{"_state_version":3,"sources":{"secoda":{}}}`)
	blob := dest.CompressState(state)
	back, err := dest.DecompressState(blob)
	if err != nil || string(back) != string(state) {
		t.Fatalf("%s %v", back, err)
	}
	// dlt's compress_state: base64(zlib.compress(json)), made by Python.
	py := "eNqrVoovLkksSY0vSy0qzszPU7JSMNZRUCrOLy1KTi0G8qqVilOT81MSQcza2loAm7sQmg=="
	back, err = dest.DecompressState(py)
	if err != nil || string(back) != `{"_state_version": 3, "sources": {"secoda": {}}}` {
		t.Fatalf("%s %v", back, err)
	}
	if back, err := dest.DecompressState(string(state)); err != nil || string(back) != string(state) {
		t.Fatalf("plain JSON state: %s %v", back, err)
	}
}

func TestFriendlyLockMessage(t *testing.T) {
	d := New("/data/secoda.duckdb", "secoda_data")
	err := d.friendly(errors.New(`IO Error: Could not set lock on file "/data/secoda.duckdb": Conflicting lock is held in /usr/bin/secoda-workbench (PID 4242) by user me.`))
	if !errors.Is(err, dest.ErrInUse) || !strings.Contains(err.Error(), "process 4242") || !strings.Contains(err.Error(), "/data/secoda.duckdb") {
		t.Fatalf("%v", err)
	}
}

// TestErrorsAreClassifiedByKindNotByWhatTheyEcho: DuckDB's messages echo the SQL, so
// a name or a string in it must not make an ordinary error look like a refusal.
func TestErrorsAreClassifiedByKindNotByWhatTheyEcho(t *testing.T) {
	d := seeded(t)
	for _, q := range []string{
		`SELECT nosuchcol AS "read-only mode" FROM resource_catalog`,
		`SELECT "attached in read-only mode" FROM resource_catalog`,
		`SELECT "disabled by configuration" FROM resource_catalog`,
		`SELECT "configuration has been locked" FROM resource_catalog`,
		`SELECT CAST('read-only mode; external access is disabled' AS INTEGER)`,
		`SELECT "Out of Memory Error" FROM resource_catalog`,
	} {
		_, err := d.Query(context.Background(), q, dest.Rows(1))
		if err == nil {
			t.Errorf("%s: ran", q)
			continue
		}
		for _, refusal := range []string{"the dataset is read-only here", "only the dataset can be read", "settings cannot be changed", "more memory than a read may use"} {
			if strings.Contains(err.Error(), refusal) {
				t.Errorf("%s: reported as %q: %v", q, refusal, err)
			}
		}
	}
	// The real refusals still read as such.
	if _, err := d.Query(context.Background(), "SELECT * FROM read_text('/etc/hostname')", dest.Rows(1)); err == nil || !strings.Contains(err.Error(), "only the dataset can be read") {
		t.Errorf("reading a file: %v", err)
	}
	if _, err := d.Query(context.Background(), "SELECT length(string_agg(repeat('x', 1000), ',')) FROM range(1000000)", dest.Rows(1)); !errors.Is(err, dest.ErrReadMemory) {
		t.Errorf("past the read memory: %v", err)
	}
}

// TestAnswersAreBoundedInTheDatabase: rows stop at the bound (DuckDB produces one
// more, not the whole answer), cells are cut, the byte bound stops rows, and statements
// ending in semicolons and comments, or with duplicate column names, still run.
func TestAnswersAreBoundedInTheDatabase(t *testing.T) {
	d := seeded(t)
	ctx := context.Background()
	res, err := d.Query(ctx, "SELECT * FROM range(1000000) a, range(1000000) b", dest.Rows(3))
	if err != nil || len(res.Rows) != 3 || !res.Truncated {
		t.Fatalf("a huge cross product, 3 rows: %+v %v", res, err)
	}
	b := dest.Bounds{Rows: 10, CellBytes: 100, Bytes: 1000}
	res, err = d.Query(ctx, "SELECT repeat('x', 1000) AS s, range(1000) AS l, {'a': repeat('y', 500)} AS st, to_json(range(500)) AS j, 7 AS n FROM range(3);",
		dest.Bounds{Rows: 10, CellBytes: 100, Bytes: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 || res.CutCells != 12 || res.Rows[0][4] != int32(7) || res.Types[1] != "BIGINT[]" || res.Types[3] != "JSON" {
		t.Fatalf("cut cells: %d rows, %d cut, types %v, %v", len(res.Rows), res.CutCells, res.Types, res.Rows[0])
	}
	for _, cell := range res.Rows[0][:4] {
		if s, _ := cell.(string); len(s) > 100 || !strings.HasSuffix(s, dest.CutMark) {
			t.Fatalf("a cell past 100 bytes: %q", s)
		}
	}
	res, err = d.Query(ctx, "SELECT [1, 2] AS l, {'a': 1} AS st, '{\"k\": [true]}'::JSON AS j -- whole values come back as values", b)
	if err != nil || res.CutCells != 0 || len(res.Rows[0][0].([]any)) != 2 || res.Rows[0][1].(map[string]any)["a"] == nil || res.Rows[0][2].(map[string]any)["k"] == nil {
		t.Fatalf("whole nested values: %+v %v", res, err)
	}
	res, err = d.Query(ctx, "SELECT repeat('z', 90) FROM range(100)", b)
	if err != nil || len(res.Rows) >= 12 || !res.Truncated || res.Bytes > 1000 {
		t.Fatalf("the byte bound: %d rows, %d bytes, truncated %v, %v", len(res.Rows), res.Bytes, res.Truncated, err)
	}
	res, err = d.Query(ctx, "SELECT 1 AS a, 2 AS a;  -- two a's", dest.Rows(5))
	if err != nil || len(res.Columns) != 2 || res.Rows[0][1] != int32(2) {
		t.Fatalf("duplicate names: %+v %v", res, err)
	}
}

// TestReadsHaveNoTemporaryFolder: reads do not spill, so there is no folder of
// DuckDB's next to the file for a query to read either.
func TestReadsHaveNoTemporaryFolder(t *testing.T) {
	d := seeded(t)
	tmp := d.Path + ".tmp"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "secret.txt"), []byte("not yours"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := d.Query(context.Background(), "SELECT current_setting('temp_directory'), current_setting('memory_limit')", dest.Rows(1))
	if err != nil || res.Rows[0][0] != "" {
		t.Fatalf("settings of a read: %+v %v", res, err)
	}
	for _, q := range []string{"SELECT * FROM read_text('" + tmp + "/secret.txt')", "SELECT * FROM glob('" + tmp + "/*')"} {
		if res, err := d.Query(context.Background(), q, dest.Rows(1)); err == nil && len(res.Rows) > 0 {
			t.Errorf("%s: read %v", q, res.Rows)
		}
	}
}

// TestTheReadMemoryIsTheDestinations: a query that fits in the default read memory
// fails in less, saying the limit it met and where to raise it.
func TestTheReadMemoryIsTheDestinations(t *testing.T) {
	d := seeded(t)
	const q = "SELECT length(string_agg(repeat('x', 100), ',')) FROM range(500000)"
	if _, err := d.Query(context.Background(), q, dest.Rows(1)); err != nil {
		t.Fatalf("within the default: %v", err)
	}
	d.Reader.Memory = 64 << 20
	res, err := d.Query(context.Background(), "SELECT current_setting('memory_limit')", dest.Rows(1))
	if err != nil || !strings.HasPrefix(res.Rows[0][0].(string), "61") { // DuckDB shows 64 MB as 61.0 MiB
		t.Fatalf("the read connection's limit: %+v %v", res, err)
	}
	_, err = d.Query(context.Background(), q, dest.Rows(1))
	if !errors.Is(err, dest.ErrReadMemory) || !strings.Contains(err.Error(), "(64 MB)") || !strings.Contains(err.Error(), "read_memory_mb") {
		t.Fatalf("past 64 MB: %v", err)
	}
}

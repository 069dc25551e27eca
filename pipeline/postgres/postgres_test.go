package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/pgtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
)

// seeded is a database with a dataset of one table, written as its owner without this
// package.
func seeded(t *testing.T) (*postgres.Destination, pgtest.DB) {
	t.Helper()
	return seededWith(t,
		"CREATE SCHEMA secoda_data",
		"CREATE TABLE secoda_data.resource_catalog (id varchar, title varchar, n bigint, doc jsonb)",
		`INSERT INTO secoda_data.resource_catalog VALUES ('a', 'x', 1, '{"k": [1, 2]}'), ('b', 'y', 2, NULL), ('c', 'z', 3, '"s"')`,
		"CREATE SEQUENCE secoda_data.s",
		"CREATE TABLE public.elsewhere (v int)",
	)
}

// seededWith is a database where the statements ran, as its owner, and the dataset
// secoda_data in it.
func seededWith(t *testing.T, statements ...string) (*postgres.Destination, pgtest.DB) {
	t.Helper()
	db := pgtest.Database(t)
	ctx := context.Background()
	conn, err := pgtest.Connect(ctx, db.URL, db.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range statements {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	return postgres.New(db.URL, db.Password, "secoda_data"), db
}

func TestQueryReadsTheDatasetUnqualifiedAndBounded(t *testing.T) {
	d, _ := seeded(t)
	res, err := d.Query(context.Background(), "SELECT id, n, doc FROM resource_catalog ORDER BY id", dest.Rows(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || !res.Truncated || res.Columns[0] != "id" || res.Rows[1][1] != int64(2) || res.Types[1] != "INT8" {
		t.Fatalf("%+v", res)
	}
	if doc, ok := res.Rows[0][2].(map[string]any); !ok || fmt.Sprint(doc["k"]) != "[1 2]" || res.Rows[1][2] != nil {
		t.Fatalf("jsonb comes back as %#v and %#v", res.Rows[0][2], res.Rows[1][2])
	}
	res, err = d.Query(context.Background(), "SELECT count(*) FROM resource_catalog", dest.Rows(10))
	if err != nil || res.Truncated || res.Rows[0][0] != int64(3) {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestQueryIsReadOnly: writes, COPY, settings, procedures, data-modifying CTEs, row
// locks and several statements are refused, each saying why, and nothing changes.
func TestQueryIsReadOnly(t *testing.T) {
	d, _ := seeded(t)
	outside := filepath.Join(t.TempDir(), "leak.csv")
	for q, why := range map[string]string{
		"DROP TABLE resource_catalog":                                          "only a query",
		"DELETE FROM resource_catalog":                                         "changes data",
		"INSERT INTO resource_catalog VALUES ('d', 'w', 4, NULL)":              "changes data",
		"UPDATE resource_catalog SET n = 0":                                    "changes data",
		"WITH d AS (DELETE FROM resource_catalog RETURNING *) SELECT * FROM d": "changes data",
		"SELECT * FROM resource_catalog FOR UPDATE":                            "changes data",
		"CREATE TABLE evil AS SELECT 1":                                        "only a query",
		"SELECT 1; DROP TABLE resource_catalog":                                "one statement",
		"COPY resource_catalog TO '" + outside + "'":                           "only a query",
		"COPY (SELECT 1) TO PROGRAM 'touch " + outside + "'":                   "only a query",
		"SET search_path = public":                                             "only a query",
		"DO $$ BEGIN DROP TABLE resource_catalog; END $$":                      "only a query",
		"VACUUM resource_catalog":                                              "only a query",
		"SELECT nextval('s')":                                                  "read-only",
		"SELECT pg_read_file('/etc/passwd')":                                   "permission denied",
		"SELECT * FROM public.elsewhere":                                       "", // other schemas are readable: the role owns the database
	} {
		_, err := d.Query(context.Background(), q, dest.Rows(10))
		switch {
		case why == "" && err != nil:
			t.Errorf("%s: %v", q, err)
		case why != "" && (err == nil || !strings.Contains(err.Error(), why)):
			t.Errorf("%s: %v (want %q)", q, err, why)
		}
		if why != "" && strings.Contains(why, "query") && !errors.Is(err, dest.ErrNotReadOnly) {
			t.Errorf("%s: %v is not ErrNotReadOnly", q, err)
		}
	}
	if _, err := os.Stat(outside); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was written")
	}
	res, err := d.Query(context.Background(), "SELECT count(*), sum(n) FROM resource_catalog", dest.Rows(1))
	if err != nil || res.Rows[0][0] != int64(3) || res.Rows[0][1] == nil {
		t.Fatalf("the table changed: %+v %v", res, err)
	}
}

// TestSyntaxErrorsInQueriesArePostgresOwn: a mistake in a SELECT gets PostgreSQL's
// message, not "only a query".
func TestSyntaxErrorsInQueriesArePostgresOwn(t *testing.T) {
	d, _ := seeded(t)
	_, err := d.Query(context.Background(), "-- a comment\n(SELECT id FROM resource_catalog WHERE)", dest.Rows(1))
	if err == nil || errors.Is(err, dest.ErrNotReadOnly) || !strings.Contains(err.Error(), "syntax error") {
		t.Fatalf("%v", err)
	}
}

func TestQueryTimeLimit(t *testing.T) {
	d, _ := seeded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Query(ctx, "SELECT pg_sleep(30)", dest.Rows(1))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "time limit") || time.Since(start) > 5*time.Second {
		t.Fatalf("want the time limit within seconds, got %v after %s", err, time.Since(start))
	}
}

func TestErrorsSayWhatToDo(t *testing.T) {
	d, db := seeded(t)
	ctx := context.Background()
	wrong := postgres.New(db.URL, "not-"+db.Password, "secoda_data")
	if _, err := wrong.Query(ctx, "SELECT 1", dest.Rows(1)); err == nil || !strings.Contains(err.Error(), "refused the login") ||
		!strings.Contains(err.Error(), "secrets set --destination") || strings.Contains(err.Error(), db.Password) {
		t.Errorf("a wrong password: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	down := postgres.New("postgres://u@127.0.0.1:"+strconv.Itoa(port)+"/db?sslmode=disable", "", "secoda_data")
	if err := down.Ping(ctx); err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at postgres://u@127.0.0.1:"+strconv.Itoa(port)+"/db") {
		t.Errorf("no server: %v", err)
	}
	i := strings.LastIndex(db.URL, "/")
	missing := postgres.New(db.URL[:i]+"/missing_"+db.URL[i+1:], db.Password, "secoda_data")
	if err := missing.Ping(ctx); err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "createdb") {
		t.Errorf("no database: %v", err)
	}
	other := postgres.New(db.URL, db.Password, "not_loaded")
	if _, err := other.Query(ctx, "SELECT 1", dest.Rows(1)); !errors.Is(err, dest.ErrNoData) || !strings.Contains(err.Error(), "secoda-workbench run") {
		t.Errorf("no dataset: %v", err)
	}
	if st, err := other.ReadStored(ctx, "p", normalize.SchemaName); err != nil || st.Schema != nil {
		t.Errorf("no dataset, ReadStored: %+v %v", st, err)
	}
	if c, err := d.Check(ctx); err != nil || c.Superuser || !c.CanLoad || c.Version == "" {
		t.Errorf("Check: %+v %v", c, err)
	}
}

// TestAnswersAreBoundedInTheServer: the server stops at the row bound (a cross product
// of a billion rows answers at once), cuts cells, and the cursor stops at the byte
// bound; semicolons, comments and duplicate names still run.
func TestAnswersAreBoundedInTheServer(t *testing.T) {
	d, _ := seeded(t)
	ctx := context.Background()
	res, err := d.Query(ctx, "SELECT * FROM generate_series(1, 100000) a, generate_series(1, 100000) b;", dest.Rows(3))
	if err != nil || len(res.Rows) != 3 || !res.Truncated {
		t.Fatalf("a huge cross product, 3 rows: %+v %v", res, err)
	}
	b := dest.Bounds{Rows: 10, CellBytes: 100, Bytes: 5000}
	res, err = d.Query(ctx, "SELECT repeat('x', 1000) AS s, array_fill(7, ARRAY[1000]) AS l, jsonb_build_object('a', repeat('y', 500)) AS j, "+
		"decode(repeat('ab', 500), 'hex') AS b, 7 AS n FROM generate_series(1, 3) -- cut\n;", b)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 || res.CutCells != 12 || res.Rows[0][4] != int64(7) || res.Types[1] != "_INT4" {
		t.Fatalf("cut cells: %d rows, %d cut, types %v, %v", len(res.Rows), res.CutCells, res.Types, res.Rows[0])
	}
	for _, cell := range res.Rows[0][:4] {
		if s, _ := cell.(string); len(s) > 100 || !strings.HasSuffix(s, dest.CutMark) {
			t.Fatalf("a cell past 100 bytes: %q", s)
		}
	}
	res, err = d.Query(ctx, "SELECT ARRAY[1, 2] AS l, '{\"k\": [true]}'::jsonb AS j", b)
	if err != nil || res.CutCells != 0 || len(res.Rows[0][0].([]any)) != 2 || res.Rows[0][1].(map[string]any)["k"] == nil {
		t.Fatalf("whole nested values: %+v %v", res, err)
	}
	res, err = d.Query(ctx, "SELECT repeat('z', 90) FROM generate_series(1, 1000000)", dest.Bounds{Rows: 1000, CellBytes: 100, Bytes: 1000})
	if err != nil || len(res.Rows) >= 12 || !res.Truncated || res.Bytes > 1000 {
		t.Fatalf("the byte bound: %d rows, %d bytes, truncated %v, %v", len(res.Rows), res.Bytes, res.Truncated, err)
	}
	res, err = d.Query(ctx, "SELECT 1 AS a, 2 AS a", dest.Rows(5))
	if err != nil || len(res.Columns) != 2 || res.Rows[0][1] != int64(2) {
		t.Fatalf("duplicate names: %+v %v", res, err)
	}
}

// TestLoadsTellAnIncompleteRun: the loads list reads a run's outcome from its trace,
// which PostgreSQL keeps as jsonb and writes back with a space after each colon; an
// error message quoting the words (its quotes escaped) does not count.
func TestLoadsTellAnIncompleteRun(t *testing.T) {
	d, _ := seededWith(t,
		"CREATE SCHEMA secoda_data",
		"CREATE TABLE secoda_data._dlt_loads (load_id varchar(64) NOT NULL, schema_name text, status bigint NOT NULL, inserted_at timestamptz NOT NULL, schema_version_hash text)",
		`CREATE TABLE secoda_data._workbench_runs (load_id text NOT NULL, pipeline_name text NOT NULL, started_at timestamptz, finished_at timestamptz,
			records bigint, requests bigint, retries bigint, rate_limited bigint, server_errors bigint, rows jsonb, trace jsonb)`,
		`INSERT INTO secoda_data._dlt_loads VALUES ('1.1', 's', 0, '2026-12-01 00:00:00+00', 'h'), ('2.2', 's', 0, '2026-12-01 01:00:00+00', 'h'),
			('3.3', 's', 0, '2026-12-01 02:00:00+00', 'h'), ('4.4', 's', 0, '2026-12-01 03:00:00+00', 'h')`,
		`INSERT INTO secoda_data._workbench_runs (load_id, pipeline_name, trace) VALUES
			('1.1', 'p', '{"run_id":"1","outcome":"incomplete","steps":[]}'),
			('2.2', 'p', '{"run_id":"2","outcome":"loaded","notes":["a note quoting \"outcome\":\"incomplete\""]}'),
			('3.3', 'p', NULL)`,
	)
	ctx := context.Background()
	loads, err := d.Loads(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, l := range loads {
		got[l.LoadID] = l.Incomplete
	}
	if want := map[string]bool{"1.1": true, "2.2": false, "3.3": false, "4.4": false}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("incomplete by load: %v, want %v", got, want)
	}
}

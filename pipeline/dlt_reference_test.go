package pipeline_test

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/pgtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/duckdb"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// The reference: what dlt 1.26 wrote for the simulator's small workspace, and every
// page it was served (testdata/dlt-1.26-secoda-small, its README says how dlt ran).
const referenceDir = "testdata/dlt-1.26-secoda-small/"

// replay serves the pages dlt was served, by path and page, and whether the request
// sorts: the data is then what dlt saw, whatever the simulator serves today.
func replay(t testing.TB) *httptest.Server {
	srv, _ := replayCounting(t)
	return srv
}

// replayCounting is replay, and the requests it has answered, by path.
func replayCounting(t testing.TB) (*httptest.Server, func(path string) int) {
	t.Helper()
	raw, err := os.ReadFile(referenceDir + "responses.json")
	if err != nil {
		t.Fatal(err)
	}
	var pages map[string]json.RawMessage
	if err := json.Unmarshal(raw, &pages); err != nil {
		t.Fatal(err)
	}
	type key struct {
		path, page string
		sorted     bool
	}
	byKey := map[key]json.RawMessage{}
	for k, body := range pages {
		u, err := url.Parse(k)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		byKey[key{strings.TrimSuffix(u.Path, "/"), cmp.Or(q.Get("page"), "1"), q.Get("sort") != ""}] = body
	}
	var mu sync.Mutex
	requests := map[string]int{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1"), "/")
		mu.Lock()
		requests[path]++
		mu.Unlock()
		q := r.URL.Query()
		body, ok := byKey[key{path, cmp.Or(q.Get("page"), "1"), q.Get("sort") != ""}]
		if !ok {
			http.Error(w, `{"detail":"not in the reference"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(strings.ReplaceAll(string(body), "{base}", srv.URL+"/api/v1")))
	}))
	t.Cleanup(srv.Close)
	return srv, func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return requests[path]
	}
}

// storedSchema is _dlt_version's latest schema, decoded.
func storedSchema(t testing.TB, p *project) (map[string]any, []any) {
	t.Helper()
	rows := p.query(t, "SELECT schema, version, engine_version, schema_name, version_hash FROM _dlt_version ORDER BY version DESC LIMIT 1")
	if len(rows) != 1 {
		t.Fatalf("_dlt_version: %v", rows)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(rows[0][0].(string)), &s); err != nil {
		t.Fatal(err)
	}
	return s, rows[0]
}

// columnsInOrder is a stored table's columns in order.
func columnsInOrder(t testing.TB, raw []byte, table string) []string {
	t.Helper()
	var doc struct {
		Tables map[string]struct {
			Columns json.RawMessage `json:"columns"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(doc.Tables[table].Columns)))
	dec.Token()
	var out []string
	for dec.More() {
		k, _ := dec.Token()
		out = append(out, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return out
}

// schemaDifferences lists where our stored schema differs from dlt's, table by table
// and column by column (names, order, types, nullability, hints).
func schemaDifferences(t testing.TB, ours, theirs []byte) []string {
	var a, b map[string]any
	json.Unmarshal(ours, &a)
	json.Unmarshal(theirs, &b)
	var out []string
	for _, k := range []string{"engine_version", "name", "settings", "normalizers"} {
		x, _ := json.Marshal(a[k])
		y, _ := json.Marshal(b[k])
		if string(x) != string(y) {
			out = append(out, fmt.Sprintf("%s: ours %s, dlt's %s", k, x, y))
		}
	}
	ta, tb := a["tables"].(map[string]any), b["tables"].(map[string]any)
	var names []string
	for n := range tb {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if ta[n] == nil {
			out = append(out, n+": dlt's only")
			continue
		}
		oc, dc := columnsInOrder(t, ours, n), columnsInOrder(t, theirs, n)
		if !slices.Equal(oc, dc) {
			out = append(out, fmt.Sprintf("%s: columns ours %v, dlt's %v", n, oc, dc))
		}
		x, y := ta[n].(map[string]any), tb[n].(map[string]any)
		for _, k := range []string{"parent", "write_disposition", "resource", "x-normalizer", "description", "file_format"} {
			xv, _ := json.Marshal(x[k])
			yv, _ := json.Marshal(y[k])
			if string(xv) != string(yv) {
				out = append(out, fmt.Sprintf("%s.%s: ours %s, dlt's %s", n, k, xv, yv))
			}
		}
		xc, yc := x["columns"].(map[string]any), y["columns"].(map[string]any)
		for c, dv := range yc {
			ov, _ := json.Marshal(xc[c])
			dj, _ := json.Marshal(dv)
			if xc[c] != nil && string(ov) != string(dj) {
				out = append(out, fmt.Sprintf("%s.%s: ours %s, dlt's %s", n, c, ov, dj))
			}
		}
	}
	for n := range ta {
		if tb[n] == nil {
			out = append(out, n+": ours only")
		}
	}
	return out
}

// replayProject is a project on a destination of kind whose source is replay, with
// the scaffold's defaults.
func replayProject(t testing.TB, kind string) *project {
	p, _ := replayProjectCounting(t, kind)
	return p
}

// replayProjectCounting is replayProject, and replay's count of requests.
func replayProjectCounting(t testing.TB, kind string) (*project, func(string) int) {
	t.Helper()
	on := target{kind: kind}
	if kind == dest.Postgres {
		on.pg = pgtest.Database(t)
	}
	p := newProjectOn(t, on, simulator.Options{}, defaultResources)
	srv, requests := replayCounting(t)
	p.writeConfig(t, fmt.Sprintf("%s[source]\nbase_url = %q\nrate_limit = 0\n\n%s", on.section(), srv.URL+"/api/v1", defaultResources))
	return p, requests
}

// TestTheStoredSchemaIsDlts: loading the pages dlt was served, with the scaffold's
// defaults, stores in _dlt_version the schema dlt stored, apart from the differences
// the README lists.
func TestTheStoredSchemaIsDlts(t *testing.T) {
	for _, kind := range []string{dest.DuckDB, dest.Postgres} {
		t.Run(kind, func(t *testing.T) {
			p := replayProject(t, kind)
			p.run(t, pipeline.RunOptions{})
			_, row := storedSchema(t, p)
			theirs, err := os.ReadFile(referenceDir + "dlt_version_schema.json")
			if err != nil {
				t.Fatal(err)
			}
			if row[2] != int64(11) || row[3] != "secoda_source" {
				t.Errorf("_dlt_version: engine %v, schema_name %v", row[2], row[3])
			}
			ours := []byte(row[0].(string))
			for _, d := range schemaDifferences(t, ours, theirs) {
				t.Error(d)
			}
			var ref struct {
				VersionHash string `json:"version_hash"`
			}
			if err := json.Unmarshal(theirs, &ref); err != nil {
				t.Fatal(err)
			}
			// The hash leaves out the version and the previous hashes, the one
			// difference (dlt bumps its schema as it extracts and as it normalizes).
			if row[4] != ref.VersionHash {
				t.Errorf("version_hash %v, dlt's %s", row[4], ref.VersionHash)
			}
			// The state, decoded, is dlt's but for what the README lists: unique_hashes,
			// the hash of a state whose fields differ, our own keys in a resource's
			// state, and the names of this dataset.
			oursState, theirs2 := decodedState(t, p), referenceState(t)
			for _, k := range []string{"_version_hash", "dataset_name", "destination_type"} {
				delete(oursState, k)
				delete(theirs2, k)
			}
			clearUniqueHashes(oursState)
			dropOurKeys(oursState)
			clearUniqueHashes(theirs2)
			if a, b := mustJSON(oursState), mustJSON(theirs2); a != b {
				t.Errorf("the state:\nours  %s\ndlt's %s", a, b)
			}
			loads := p.query(t, "SELECT schema_name, schema_version_hash FROM _dlt_loads")
			if len(loads) != 1 || loads[0][0] != "secoda_source" || loads[0][1] != ref.VersionHash {
				t.Errorf("_dlt_loads: %v", loads)
			}
		})
	}
}

// asDlt replaces the rows of dlt's three system tables with the ones dlt wrote: the
// dataset is then one dlt loaded (its data is what dlt loaded from the same pages).
func asDlt(t *testing.T, p *project) {
	t.Helper()
	lines := func(name string) map[string]any {
		raw, err := os.ReadFile(referenceDir + name)
		if err != nil {
			t.Fatal(err)
		}
		var row map[string]any
		if err := json.Unmarshal(raw, &row); err != nil {
			t.Fatal(err)
		}
		return row
	}
	lit := func(v any) string {
		switch x := v.(type) {
		case string:
			return "'" + strings.ReplaceAll(x, "'", "''") + "'"
		case float64:
			return fmt.Sprint(int64(x))
		}
		return "NULL"
	}
	ts := func(v any) string { return "CAST(" + lit(v) + " AS TIMESTAMP WITH TIME ZONE)" }
	schema, err := os.ReadFile(referenceDir + "dlt_version_schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, st, l := lines("dlt_version_rows.jsonl"), lines("dlt_pipeline_state_rows.jsonl"), lines("dlt_loads_rows.jsonl")
	ds := p.plan.DatasetName
	stmts := []string{
		"DELETE FROM " + ds + "._dlt_version", "DELETE FROM " + ds + "._dlt_pipeline_state", "DELETE FROM " + ds + "._dlt_loads",
		fmt.Sprintf("INSERT INTO %s._dlt_version VALUES (%s, %s, %s, %s, %s, %s)", ds, lit(v["version"]), lit(v["engine_version"]), ts(v["inserted_at"]),
			lit(v["schema_name"]), lit(v["version_hash"]), lit(string(schema))),
		fmt.Sprintf("INSERT INTO %s._dlt_pipeline_state VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", ds, lit(st["version"]), lit(st["engine_version"]),
			lit(st["pipeline_name"]), lit(st["state"]), ts(st["created_at"]), lit(st["version_hash"]), lit(st["_dlt_load_id"]), lit(st["_dlt_id"])),
		fmt.Sprintf("INSERT INTO %s._dlt_loads VALUES (%s, %s, %s, %s, %s)", ds, lit(l["load_id"]), lit(l["schema_name"]), lit(l["status"]),
			ts(l["inserted_at"]), lit(l["schema_version_hash"])),
	}
	execDataset(t, p, stmts...)
}

// execDataset runs statements on the project's dataset, as its owner.
func execDataset(t *testing.T, p *project, stmts ...string) {
	t.Helper()
	if p.on.kind == dest.Postgres {
		conn, err := pgtest.Connect(context.Background(), p.on.pg.URL, p.on.pg.Password)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		for _, q := range stmts {
			if _, err := conn.Exec(context.Background(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return
	}
	db, err := sql.Open("duckdb", p.dest().(*duckdb.Destination).Path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q[:min(len(q), 200)], err)
		}
	}
}

// TestADatasetDltWroteContinues: a run against a dataset dlt wrote (its system
// tables dlt's) goes on from dlt's cursors: the catalog's first request stops the
// catalog, as an incremental run does, and no row is loaded twice; the schema and
// state it stores are dlt's form, under dlt's names, the version one more than dlt's.
func TestADatasetDltWroteContinues(t *testing.T) {
	for _, kind := range []string{dest.DuckDB, dest.Postgres} {
		t.Run(kind, func(t *testing.T) {
			p, requests := replayProjectCounting(t, kind)
			p.run(t, pipeline.RunOptions{})
			asDlt(t, p)
			before := map[string]int64{}
			for _, tb := range []string{"resource_catalog", "document", "collection", "integration", "resource_catalog__tags"} {
				before[tb] = p.count(t, tb)
			}
			catalog := requests("/resource/catalog")
			p.run(t, pipeline.RunOptions{})
			if n := requests("/resource/catalog") - catalog; n != 1 {
				t.Errorf("the catalog took %d requests after dlt's load; an incremental run stops at the first", n)
			}
			for tb, n := range before {
				if got := p.count(t, tb); got != n {
					t.Errorf("%s: %d rows after the run, %d before", tb, got, n)
				}
			}
			// The same pages make the same schema: dlt's version stands, and no
			// version is added.
			_, row := storedSchema(t, p)
			if row[1] != int64(2) || row[3] != "secoda_source" || row[4] != "D91bc8xHP7odQwS34t5eUV8kVTbE6JJ1Gzk7jbCOkuk=" || p.count(t, "_dlt_version") != 1 {
				t.Errorf("_dlt_version after the run: %v (dlt's: version 2, D91bc8x…)", row[1:])
			}
			state := p.query(t, "SELECT version, state FROM _dlt_pipeline_state ORDER BY version DESC LIMIT 1")
			plain, err := dest.DecompressState(state[0][1].(string))
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Hash    string `json:"_version_hash"`
				Sources map[string]struct {
					Resources map[string]struct {
						Incremental map[string]struct {
							LastValue string `json:"last_value"`
						} `json:"incremental"`
					} `json:"resources"`
				} `json:"sources"`
			}
			if err := json.Unmarshal(plain, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Hash == "" || doc.Sources["secoda_source"].Resources["resource_catalog"].Incremental["updated_at"].LastValue != "2026-05-31T18:21:09.391134Z" {
				t.Errorf("the state after the run: %s", plain)
			}
		})
	}
}

// TestTheTablesAreAsDltCreatesThem: on PostgreSQL every column has dlt's position,
// type, length and nullability, and every table dlt's constraints (UNIQUE on
// _dlt_id); on DuckDB the columns have dlt's positions and nullability (dlt's DuckDB
// creates no UNIQUE, and neither do we).
func TestTheTablesAreAsDltCreatesThem(t *testing.T) {
	type col struct {
		Table    string `json:"table_name"`
		Column   string `json:"column_name"`
		Position int64  `json:"ordinal_position"`
		Type     string `json:"data_type"`
		Length   *int64 `json:"character_maximum_length"`
		Nullable string `json:"is_nullable"`
	}
	var want []col
	raw, err := os.ReadFile(referenceDir + "dlt_columns.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var c col
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		want = append(want, c)
	}
	for _, kind := range []string{dest.DuckDB, dest.Postgres} {
		t.Run(kind, func(t *testing.T) {
			p := replayProject(t, kind)
			p.run(t, pipeline.RunOptions{})
			length := "character_maximum_length"
			if kind == dest.DuckDB {
				length = "CAST(NULL AS BIGINT)" // DuckDB keeps no length
			}
			rows := p.query(t, "SELECT table_name, column_name, CAST(ordinal_position AS BIGINT), data_type, "+length+", is_nullable FROM information_schema.columns "+
				"WHERE table_schema = 'secoda_data' AND table_name <> '_workbench_runs' ORDER BY table_name, ordinal_position")
			got := map[string]col{}
			for _, r := range rows {
				c := col{Table: r[0].(string), Column: r[1].(string), Position: r[2].(int64), Type: r[3].(string), Nullable: r[5].(string)}
				if r[4] != nil {
					n := r[4].(int64)
					c.Length = &n
				}
				got[c.Table+"."+c.Column] = c
			}
			if len(got) != len(want) {
				t.Errorf("%d columns, dlt's %d", len(got), len(want))
			}
			for _, w := range want {
				g, ok := got[w.Table+"."+w.Column]
				switch {
				case !ok:
					t.Errorf("%s.%s: missing", w.Table, w.Column)
				case g.Position != w.Position || g.Nullable != w.Nullable:
					t.Errorf("%s.%s: position %d nullable %s, dlt's %d %s", w.Table, w.Column, g.Position, g.Nullable, w.Position, w.Nullable)
				case kind == dest.Postgres && (g.Type != w.Type || fmt.Sprint(deref(g.Length)) != fmt.Sprint(deref(w.Length))):
					t.Errorf("%s.%s: %s(%v), dlt's %s(%v)", w.Table, w.Column, g.Type, deref(g.Length), w.Type, deref(w.Length))
				}
			}
			if kind != dest.Postgres {
				return
			}
			var wantUnique []string
			raw, err := os.ReadFile(referenceDir + "dlt_constraints.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
				var c struct{ Table, Type, Column string }
				var m map[string]string
				json.Unmarshal([]byte(line), &m)
				c.Table, c.Type, c.Column = m["table_name"], m["constraint_type"], m["column_name"]
				wantUnique = append(wantUnique, c.Table+"."+c.Column+" "+c.Type)
			}
			rows = p.query(t, `SELECT tc.table_name, kcu.column_name, tc.constraint_type FROM information_schema.table_constraints tc
				JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
				WHERE tc.table_schema = 'secoda_data' AND tc.constraint_type IN ('UNIQUE', 'PRIMARY KEY') ORDER BY 1, 2`)
			var gotUnique []string
			for _, r := range rows {
				gotUnique = append(gotUnique, fmt.Sprintf("%s.%s %s", r[0], r[1], r[2]))
			}
			sort.Strings(wantUnique)
			if !slices.Equal(gotUnique, wantUnique) {
				t.Errorf("constraints:\nours  %v\ndlt's %v", gotUnique, wantUnique)
			}
		})
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// decodedState is the latest _dlt_pipeline_state's state, decoded.
func decodedState(t testing.TB, p *project) map[string]any {
	t.Helper()
	rows := p.query(t, "SELECT state FROM _dlt_pipeline_state ORDER BY version DESC LIMIT 1")
	plain, err := dest.DecompressState(rows[0][0].(string))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(plain, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// referenceState is the state dlt stored, decoded.
func referenceState(t testing.TB) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(referenceDir + "dlt_pipeline_state_decoded.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// clearUniqueHashes empties every cursor's unique_hashes (dlt's row hashes, which
// this program does not compute).
func clearUniqueHashes(state map[string]any) {
	srcs, _ := state["sources"].(map[string]any)
	for _, src := range srcs {
		rs, _ := src.(map[string]any)["resources"].(map[string]any)
		for _, r := range rs {
			inc, _ := r.(map[string]any)["incremental"].(map[string]any)
			for _, c := range inc {
				c.(map[string]any)["unique_hashes"] = []any{}
			}
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// dropOurKeys removes this program's keys from each resource's state (content_hash,
// partitions), and a resource's state left empty.
func dropOurKeys(state map[string]any) {
	srcs, _ := state["sources"].(map[string]any)
	for _, src := range srcs {
		rs, _ := src.(map[string]any)["resources"].(map[string]any)
		for name, r := range rs {
			m := r.(map[string]any)
			delete(m, "content_hash")
			delete(m, "partitions")
			if len(m) == 0 {
				delete(rs, name)
			}
		}
	}
}

// TestTheSchemaNameIsConfigurable: [pipeline] schema_name names the schema in
// _dlt_version and _dlt_loads, and the source in the state, as a dlt pipeline whose
// source has another name keeps them; a second run reads them back and loads nothing.
func TestTheSchemaNameIsConfigurable(t *testing.T) {
	p := replayProject(t, dest.DuckDB)
	cfg, err := os.ReadFile(p.plan.File)
	if err != nil {
		t.Fatal(err)
	}
	p.writeConfig(t, "[pipeline]\nschema_name = \"catalog_source\"\n\n"+string(cfg))
	p.run(t, pipeline.RunOptions{})
	_, row := storedSchema(t, p)
	state := decodedState(t, p)
	if row[3] != "catalog_source" || state["default_schema_name"] != "catalog_source" || state["sources"].(map[string]any)["catalog_source"] == nil {
		t.Fatalf("_dlt_version %v, state %v", row[3], mustJSON(state)[:200])
	}
	if got := p.query(t, "SELECT DISTINCT schema_name FROM _dlt_loads"); len(got) != 1 || got[0][0] != "catalog_source" {
		t.Fatalf("_dlt_loads: %v", got)
	}
	if info := p.run(t, pipeline.RunOptions{}); info.Loaded {
		t.Fatalf("the second run loaded again: %+v", info)
	}
}

// TestADatasetStoredUnderTheOldNameIsCarriedOver: a dataset this program stored
// before (the schema's list form under "secoda", the state's source "secoda") goes on
// from its cursors, says it was carried over, and is stored again in dlt's form under
// secoda_source.
func TestADatasetStoredUnderTheOldNameIsCarriedOver(t *testing.T) {
	p, requests := replayProjectCounting(t, dest.DuckDB)
	p.run(t, pipeline.RunOptions{})
	raw := p.query(t, "SELECT schema FROM _dlt_version")[0][0].(string)
	s, err := normalize.ParseSchema([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	s.EngineVersion, s.Name = normalize.EngineVersion, normalize.LegacySchemaName
	legacy, err := json.Marshal(s) // the Schema's own fields are the list form
	if err != nil {
		t.Fatal(err)
	}
	state := decodedState(t, p)
	srcs := state["sources"].(map[string]any)
	srcs["secoda"] = srcs["secoda_source"]
	delete(srcs, "secoda_source")
	state["default_schema_name"], state["schema_names"] = "secoda", []string{"secoda"}
	delete(state, "_version_hash")
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	execDataset(t, p,
		"UPDATE secoda_data._dlt_version SET schema_name = 'secoda', engine_version = 1, schema = "+quote(string(legacy)),
		"UPDATE secoda_data._dlt_pipeline_state SET state = "+quote(dest.CompressState([]byte(mustJSON(state)))),
		"UPDATE secoda_data._dlt_loads SET schema_name = 'secoda'")
	catalog := requests("/resource/catalog")
	info := p.run(t, pipeline.RunOptions{})
	if n := requests("/resource/catalog") - catalog; n != 1 {
		t.Errorf("the catalog took %d requests: the old cursors were not carried over", n)
	}
	if !strings.Contains(strings.Join(info.Notes, "\n"), `stored under the name "secoda"`) {
		t.Errorf("no note of the carry-over: %v", info.Notes)
	}
	_, row := storedSchema(t, p)
	if row[3] != "secoda_source" || row[2] != int64(11) {
		t.Errorf("_dlt_version after the run: %v", row[1:])
	}
	after := decodedState(t, p)
	if after["sources"].(map[string]any)["secoda_source"] == nil || after["sources"].(map[string]any)["secoda"] != nil || after["default_schema_name"] != "secoda_source" {
		t.Errorf("the state after the run: %s", mustJSON(after))
	}
}

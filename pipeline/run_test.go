package pipeline_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func newKey(t testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// project is a project folder with a config pointing at a simulator and a destination.
type project struct {
	dir  string
	key  string
	sim  *simulator.Server
	srv  *httptest.Server
	plan *pipeline.Plan
	on   target
}

// newProject is a project loading into DuckDB.
func newProject(t testing.TB, opts simulator.Options, resources string) *project {
	t.Helper()
	return newProjectOn(t, target{kind: dest.DuckDB}, opts, resources)
}

// newProjectOn is a project loading into the target.
func newProjectOn(t testing.TB, on target, opts simulator.Options, resources string) *project {
	t.Helper()
	p := &project{dir: t.TempDir(), key: newKey(t), on: on}
	opts.APIKeys = []string{p.key}
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	p.sim = sim
	p.srv = httptest.NewServer(sim)
	t.Cleanup(p.srv.Close)
	if resources == "" {
		resources = defaultResources
	}
	cfg := fmt.Sprintf("%s[source]\nbase_url = %q\nrate_limit = 0\n\n%s", on.section(), p.srv.URL+"/api/v1", resources)
	p.writeConfig(t, cfg)
	return p
}

const defaultResources = `[resources.resource_catalog]
[resources.document]
[resources.collection]
[resources.integration]
`

func (p *project) writeConfig(t testing.TB, cfg string) {
	t.Helper()
	path := filepath.Join(p.dir, pipeline.ConfigFileName)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	p.plan = plan
}

func (p *project) run(t testing.TB, opts pipeline.RunOptions) *pipeline.LoadInfo {
	t.Helper()
	info, err := p.tryRun(opts)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func (p *project) tryRun(opts pipeline.RunOptions) (*pipeline.LoadInfo, error) {
	opts.APIKey = p.key
	opts.DestinationPassword = p.on.password()
	opts.BaseBackoff = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return pipeline.Run(ctx, p.plan, opts)
}

// patch changes an entity in the simulator, as a Secoda user would.
func (p *project) patch(t testing.TB, path, body string) {
	t.Helper()
	req, _ := http.NewRequest("PATCH", p.srv.URL+"/api/v1/"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PATCH %s: %s", path, resp.Status)
	}
}

// query runs SQL read-only and returns the rows.
func (p *project) query(t testing.TB, sql string) [][]any {
	t.Helper()
	res, err := p.dest().Query(context.Background(), sql, dest.WidestBounds)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if res.Truncated || res.CutCells > 0 {
		t.Fatalf("%s: more than a test reads (truncated %v, %d cells cut)", sql, res.Truncated, res.CutCells)
	}
	return res.Rows
}

func (p *project) count(t testing.TB, table string) int64 {
	t.Helper()
	return p.query(t, "SELECT count(*) FROM "+table)[0][0].(int64)
}

func TestRunLoadsTheDefaultResources(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 3}, "")
		info := p.run(t, pipeline.RunOptions{})
		text := info.String()
		location := map[string]string{
			dest.DuckDB:     "duckdb:/secoda.duckdb",
			dest.Postgres:   strings.Replace(strings.TrimSuffix(on.pg.URL, "?sslmode=disable"), "@", ":***@", 1),
			dest.Filesystem: "file://" + filepath.ToSlash(filepath.Join(p.dir, "data")),
		}[on.kind]
		if on.store != "" {
			location = on.bucket.URL
		}
		for _, want := range []string{
			"Pipeline secoda_pipeline load step completed in",
			"1 load package(s) were loaded to destination " + on.kind + " and into dataset secoda_data",
			"The " + on.kind + " destination used " + location + " location to store data",
			"Load package " + info.LoadID + " is LOADED and contains no failed jobs",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("LoadInfo lacks %q:\n%s", want, text)
			}
		}
		if got := p.count(t, "resource_catalog"); got != int64(p.sim.Workspace().CatalogSize()) {
			t.Fatalf("resource_catalog has %d rows, the workspace %d", got, p.sim.Workspace().CatalogSize())
		}
		t.Log(text)
	})
}

// simRecords reads every record of an endpoint straight from the simulator with plain
// HTTP and encoding/json, independently of the client under test.
func simRecords(t testing.TB, p *project, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	next := p.srv.URL + "/api/v1/" + path + "/"
	for next != "" {
		req, _ := http.NewRequest("GET", next, nil)
		req.Header.Set("Authorization", "Bearer "+p.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Links   struct{ Next *string } `json:"links"`
			Results []map[string]any       `json:"results"`
		}
		err = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, env.Results...)
		next = ""
		if env.Links.Next != nil {
			next = *env.Links.Next
		}
	}
	return out
}

// expectedRows counts the rows dlt's layout gives records: one per record in the root
// table, one per list item in <table>__<path> tables, recursively.
func expectedRows(root string, records []map[string]any) map[string]int64 {
	counts := map[string]int64{root: int64(len(records))}
	var walkObj func(table string, prefix []string, obj map[string]any)
	walkObj = func(table string, prefix []string, obj map[string]any) {
		for k, v := range obj {
			path := append(append([]string(nil), prefix...), normalize.Identifier(k, 0))
			switch x := v.(type) {
			case map[string]any:
				walkObj(table, path, x)
			case []any:
				if len(x) == 0 {
					continue
				}
				child := table + "__" + strings.Join(path, "__")
				counts[child] += int64(len(x))
				for _, item := range x {
					if m, ok := item.(map[string]any); ok {
						walkObj(child, nil, m)
					}
				}
			}
		}
	}
	for _, r := range records {
		walkObj(root, nil, r)
	}
	return counts
}

// checkLayout compares every table's rows with the simulator's data and checks that
// every child row joins its parent on _dlt_parent_id = _dlt_id.
func checkLayout(t *testing.T, p *project, resources map[string]string) {
	t.Helper()
	counts, err := p.dest().TableRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for table, path := range resources {
		for k, v := range expectedRows(table, simRecords(t, p, path)) {
			want[k] = v
		}
	}
	for table, n := range want {
		if counts[table] != n {
			t.Errorf("%s: %d rows, the simulator's data makes %d", table, counts[table], n)
		}
	}
	stored, err := p.dest().ReadStored(context.Background(), p.plan.PipelineName, p.plan.SchemaName)
	if err != nil {
		t.Fatal(err)
	}
	for name, tbl := range stored.Schema.Tables {
		if _, ok := want[name]; !ok && counts[name] > 0 {
			t.Errorf("table %s has %d rows the simulator's data does not explain", name, counts[name])
		}
		if tbl.Parent == "" {
			continue
		}
		orphans := p.query(t, fmt.Sprintf(`SELECT count(*) FROM %q c LEFT JOIN %q p ON c._dlt_parent_id = p._dlt_id WHERE p._dlt_id IS NULL`, name, tbl.Parent))[0][0]
		if orphans.(int64) != 0 {
			t.Errorf("%s: %v rows do not join %s", name, orphans, tbl.Parent)
		}
	}
}

var defaultPaths = map[string]string{"resource_catalog": "resource/catalog", "document": "document",
	"collection": "collection/collections", "integration": "integration/integrations"}

func TestEveryTableMatchesTheSimulatorAndJoinsItsParent(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 5}, "")
		p.run(t, pipeline.RunOptions{})
		checkLayout(t, p, defaultPaths)
		// dlt's system tables hold one complete load.
		if got := p.query(t, "SELECT count(*), min(status), min(schema_name) FROM _dlt_loads")[0]; got[0] != int64(1) || got[1] != int64(0) || got[2] != normalize.SchemaName {
			t.Fatalf("_dlt_loads %v", got)
		}
		if n := p.count(t, "_dlt_pipeline_state"); n != 1 {
			t.Fatalf("%d state rows", n)
		}
		if n := p.count(t, "_dlt_version"); n != 1 {
			t.Fatalf("%d schema versions", n)
		}
		// Child rows of a merge resource carry the root's id.
		if n := p.query(t, `SELECT count(*) FROM resource_catalog__tags c JOIN resource_catalog r ON c._dlt_root_id = r._dlt_id`)[0][0]; n != p.count(t, "resource_catalog__tags") {
			t.Fatalf("_dlt_root_id joins %v of the tag rows", n)
		}
	})
}

func TestSecondRunOfAnUnchangedWorkspaceLoadsNothing(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 6}, "")
		p.run(t, pipeline.RunOptions{})
		info := p.run(t, pipeline.RunOptions{})
		if info.Loaded {
			t.Fatalf("a second run loaded a package:\n%s", info)
		}
		for _, r := range info.Resources {
			res, _ := p.plan.Resource(r.Name)
			if res.Cursor != "" && r.Pages > 1 {
				t.Errorf("%s fetched %d pages of an unchanged workspace", r.Name, r.Pages)
			}
			if res.Cursor != "" && r.Records != r.Skipped {
				t.Errorf("%s: %d records, %d skipped", r.Name, r.Records, r.Skipped)
			}
		}
		if n := p.count(t, "_dlt_loads"); n != 1 {
			t.Fatalf("%d loads after an empty run", n)
		}
		if !strings.Contains(info.String(), "No new data") {
			t.Fatalf("LoadInfo does not say nothing was new:\n%s", info)
		}
	})
}

func TestPatchedResourcesAreMergedAndNothingElse(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 7}, "")
		p.run(t, pipeline.RunOptions{})
		before := map[string]int64{}
		for _, tbl := range []string{"resource_catalog", "resource_catalog__tags", "resource_catalog__owners", "resource_catalog__properties__custom"} {
			before[tbl] = p.count(t, tbl)
		}
		ids := p.query(t, "SELECT id FROM resource_catalog ORDER BY id LIMIT 3")
		for i, row := range ids {
			p.patch(t, "resource/all/"+row[0].(string), fmt.Sprintf(`{"title": "patched %d", "tags": []}`, i))
		}
		info := p.run(t, pipeline.RunOptions{})
		var rc pipeline.ResourceInfo
		for _, r := range info.Resources {
			if r.Name == "resource_catalog" {
				rc = r
			}
		}
		if rc.Records-rc.Skipped != 3 || rc.Pages != 1 {
			t.Fatalf("resource_catalog: %+v, want 3 new records from one page", rc)
		}
		if got := p.count(t, "resource_catalog"); got != before["resource_catalog"] {
			t.Fatalf("merge changed the row count: %d, was %d", got, before["resource_catalog"])
		}
		got := p.query(t, fmt.Sprintf("SELECT count(*) FROM resource_catalog WHERE title LIKE 'patched %%' AND _dlt_load_id = '%s'", info.LoadID))[0][0]
		if got != int64(3) {
			t.Fatalf("%v patched rows carry the new load id", got)
		}
		// The three lost their tags; every other child row stays exactly once.
		if n := p.query(t, fmt.Sprintf(`SELECT count(*) FROM resource_catalog__tags WHERE _dlt_root_id IN (SELECT _dlt_id FROM resource_catalog WHERE _dlt_load_id = '%s')`, info.LoadID))[0][0]; n != int64(0) {
			t.Fatalf("patched resources still have %v tags", n)
		}
		checkLayout(t, p, defaultPaths)
	})
}

func TestAFieldThatChangesTypeLandsInAVariantColumn(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 8, Faults: simulator.Faults{TypeChangeFromPage: 2}}, "[resources.resource_catalog]\n")
		info := p.run(t, pipeline.RunOptions{})
		var variants []string
		for _, tbl := range info.Tables {
			variants = append(variants, tbl.VariantColumns...)
		}
		if !slices.Contains(variants, "total_usage__v_text") {
			t.Fatalf("variant columns %v", variants)
		}
		row := p.query(t, "SELECT count(total_usage), count(total_usage__v_text) FROM resource_catalog")[0]
		if row[0] != int64(50) || row[1] != int64(p.sim.Workspace().CatalogSize()-50) {
			t.Fatalf("page 1 numbers, later pages text: got %v", row)
		}
		if !strings.Contains(info.String(), "variant columns total_usage__v_text") {
			t.Fatalf("LoadInfo does not name the variant column:\n%s", info)
		}
	})
}

func TestWriteDispositions(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		for _, tc := range []struct {
			disposition string
			factor      int64 // rows after two full runs, per run's rows
		}{{"append", 2}, {"replace", 1}, {"merge", 1}} {
			t.Run(tc.disposition, func(t *testing.T) {
				cfg := fmt.Sprintf("[resources.collection]\nwrite_disposition = %q\nincremental = \"\"\n", tc.disposition)
				p := newProjectOn(t, on, simulator.Options{Seed: 9}, cfg)
				p.run(t, pipeline.RunOptions{})
				first, firstOwners := p.count(t, "collection"), p.count(t, "collection__owners")
				id := p.query(t, "SELECT id FROM collection ORDER BY id LIMIT 1")[0][0].(string)
				p.patch(t, "collection/collections/"+id, `{"title": "renamed"}`)
				p.run(t, pipeline.RunOptions{})
				if got := p.count(t, "collection"); got != tc.factor*first {
					t.Fatalf("%d rows after two runs, one run gives %d", got, first)
				}
				if got := p.count(t, "collection__owners"); got != tc.factor*firstOwners {
					t.Fatalf("%d child rows after two runs, one run gives %d", got, firstOwners)
				}
				titles := p.query(t, fmt.Sprintf("SELECT title FROM collection WHERE id = '%s' ORDER BY _dlt_load_id", id))
				if last := titles[len(titles)-1][0]; last != "renamed" || int64(len(titles)) != tc.factor {
					t.Fatalf("the changed collection's rows: %v", titles)
				}
			})
		}
	})
}

// TestAnUnchangedEndpointWithoutCursorIsNotLoadedAgain: integrations have no cursor;
// the same records twice are not merged twice.
func TestAnUnchangedEndpointWithoutCursorIsNotLoadedAgain(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 16}, "[resources.integration]\n")
		p.run(t, pipeline.RunOptions{})
		info := p.run(t, pipeline.RunOptions{})
		if info.Loaded || !info.Resources[0].Unchanged {
			t.Fatalf("an unchanged endpoint was loaded again:\n%s", info)
		}
		id := p.query(t, "SELECT id FROM integration LIMIT 1")[0][0].(string)
		p.patch(t, "integration/integrations/"+id, `{"name": "Renamed"}`)
		info = p.run(t, pipeline.RunOptions{})
		if !info.Loaded || info.Resources[0].Unchanged {
			t.Fatalf("a changed endpoint was not loaded:\n%s", info)
		}
		if got := p.query(t, fmt.Sprintf("SELECT name FROM integration WHERE id = '%s'", id))[0][0]; got != "Renamed" {
			t.Fatalf("name %v", got)
		}
	})
}

// TestTheRunRecordCountsOnlyWhatWasLoaded: beside a changed resource, an unchanged one
// is skipped, and the run's rows per table (what status and show report) leave it out.
func TestTheRunRecordCountsOnlyWhatWasLoaded(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 16}, "[resources.integration]\n[resources.collection]\n")
		p.run(t, pipeline.RunOptions{})
		p.patch(t, "collection/collections/"+p.query(t, "SELECT id FROM collection LIMIT 1")[0][0].(string), `{"title": "x"}`)
		info := p.run(t, pipeline.RunOptions{})
		if !info.Loaded {
			t.Fatalf("the changed collection was not loaded:\n%s", info)
		}
		rows := p.query(t, fmt.Sprintf("SELECT CAST(rows AS VARCHAR) FROM secoda_data._workbench_runs WHERE load_id = '%s'", info.LoadID))[0][0].(string)
		var got map[string]int64
		if err := json.Unmarshal([]byte(rows), &got); err != nil {
			t.Fatal(err)
		}
		if got["collection"] != 1 || len(got) == 0 {
			t.Fatalf("rows %v", got)
		}
		for table := range got {
			if strings.HasPrefix(table, "integration") {
				t.Fatalf("the unchanged integration is counted as loaded: %v", got)
			}
		}
	})
}

func TestFullRefreshDropsTablesAndState(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 10}, "")
		p.run(t, pipeline.RunOptions{})
		info := p.run(t, pipeline.RunOptions{FullRefresh: true, Resources: []string{"collection"}})
		if !info.Loaded {
			t.Fatal("a full refresh loaded nothing")
		}
		for _, r := range info.Resources {
			if r.Name == "collection" && (r.Skipped != 0 || r.CursorBefore != "") {
				t.Fatalf("collection was not refreshed: %+v", r)
			}
		}
		if len(info.Resources) != 1 {
			t.Fatalf("--resources collection ran %d resources", len(info.Resources))
		}
		checkLayout(t, p, defaultPaths)
		if _, err := p.tryRun(pipeline.RunOptions{Resources: []string{"collections"}}); err == nil || !strings.Contains(err.Error(), "did you mean collection") {
			t.Fatalf("an unknown resource: %v", err)
		}
	})
}

func TestMaxPagesKeepsTheCursor(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 11}, "[resources.resource_catalog]\n")
		info := p.run(t, pipeline.RunOptions{MaxPages: 2})
		r := info.Resources[0]
		if !r.Truncated || r.Pages != 2 || p.count(t, "resource_catalog") != 100 || info.Requests != 2 {
			t.Fatalf("%+v, %d requests", r, info.Requests)
		}
		// The cursor did not move: the next full run reads everything.
		info = p.run(t, pipeline.RunOptions{})
		if got := p.count(t, "resource_catalog"); got != int64(p.sim.Workspace().CatalogSize()) || info.Resources[0].Skipped != 0 {
			t.Fatalf("after a full run: %d rows, %+v", got, info.Resources[0])
		}
	})
}

func TestResourceDetailFetchesEachCatalogID(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 12}, "[resources.resource_detail]\n")
	p.run(t, pipeline.RunOptions{})
	if got := p.count(t, "resource_detail"); got != int64(p.sim.Workspace().CatalogSize()) {
		t.Fatalf("resource_detail has %d rows, the catalog %d", got, p.sim.Workspace().CatalogSize())
	}
	// The detail's parent is the parent's id.
	if n := p.query(t, "SELECT count(parent) FROM resource_detail")[0][0]; n.(int64) == 0 {
		t.Fatal("no parent column values")
	}
	info := p.run(t, pipeline.RunOptions{})
	// One request: the catalog's newest page, already loaded; no second page fetched
	// ahead, no details.
	if info.Loaded || info.Resources[0].Records != 0 || info.Requests != 1 {
		t.Fatalf("an unchanged workspace fetched details again:\n%s", info)
	}
}

func TestAFrozenContractStopsTheRunAndLoadsNothing(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 13}, "[resources.resource_catalog]\nschema_contract = \"freeze\"\n")
		p.run(t, pipeline.RunOptions{})
		p.sim.SetFaults(simulator.Faults{TypeChangeFromPage: 1})
		p.patch(t, "resource/all/"+p.query(t, "SELECT id FROM resource_catalog LIMIT 1")[0][0].(string), `{"title": "changed"}`)
		_, err := p.tryRun(pipeline.RunOptions{})
		// The changed record comes with total_usage as text, which the contract refuses.
		if err == nil || !strings.Contains(err.Error(), "data_type=freeze") {
			t.Fatalf("want a contract error, got %v", err)
		}
		if n := p.count(t, "_dlt_loads"); n != 1 {
			t.Fatalf("%d loads after a refused run", n)
		}
	})
}

func TestCancelledRunLoadsNothing(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 14, Faults: simulator.Faults{Latency: 50 * time.Millisecond}}, "")
		ctx, cancel := context.WithCancel(context.Background())
		// Cancelled once the extraction has begun (its first request made), whatever the
		// destination took to read the stored state first.
		go func() {
			for p.sim.Stats().Requests == 0 && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(30 * time.Millisecond)
			cancel()
		}()
		_, err := pipeline.Run(ctx, p.plan, pipeline.RunOptions{APIKey: p.key, DestinationPassword: on.password()})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
		if p.loaded(t) {
			t.Fatal("a cancelled first run created the dataset")
		}
		// What it had read is kept, and the next run goes on from there.
		entries, _ := os.ReadDir(filepath.Join(p.dir, pipeline.WorkDirName, "packages"))
		if len(entries) != 1 {
			t.Fatalf("a cancelled run left %d packages, want the one to resume", len(entries))
		}
		p.sim.SetFaults(simulator.Faults{})
		info := p.run(t, pipeline.RunOptions{})
		if !info.Resumed || !info.Loaded {
			t.Fatalf("the next run: resumed %v, loaded %v", info.Resumed, info.Loaded)
		}
		checkLayout(t, p, defaultPaths)
		entries, _ = os.ReadDir(filepath.Join(p.dir, pipeline.WorkDirName, "packages"))
		if len(entries) != 0 {
			t.Fatalf("a loaded run left %d packages", len(entries))
		}
	})
}

func TestRejectedKeyFailsWithTheNextStep(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 15}, "")
	_, err := pipeline.Run(context.Background(), p.plan, pipeline.RunOptions{APIKey: newKey(t)})
	if !errors.Is(err, secoda.ErrKeyRejected) || !strings.Contains(err.Error(), "secrets set") {
		t.Fatalf("want ErrKeyRejected with the next step, got %v", err)
	}
}

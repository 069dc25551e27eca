package pipeline_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// walk lists the ids of an endpoint's records by the simulator's own data, with no code
// of the pipeline's, keeping those keep accepts (nil: all).
func walk(p *project, endpoint string, keep func(map[string]any) bool) map[string]bool {
	ids := map[string]bool{}
	p.sim.Walk(endpoint, func(rec map[string]any) bool {
		if keep == nil || keep(rec) {
			ids[rec["id"].(string)] = true
		}
		return true
	})
	return ids
}

// loadedIDs reads the ids of a root table, failing on an id loaded twice.
func loadedIDs(t *testing.T, p *project, table string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, row := range p.query(t, "SELECT id FROM "+table) {
		id := row[0].(string)
		if ids[id] {
			t.Fatalf("%s holds %s twice", table, id)
		}
		ids[id] = true
	}
	return ids
}

// sameIDs fails with what is missing or extra.
func sameIDs(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	var missing, extra []string
	for id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("%s: %d loaded, %d in the workspace; %d missing (e.g. %v), %d extra (e.g. %v)", what, len(got), len(want),
			len(missing), missing[:min(3, len(missing))], len(extra), extra[:min(3, len(extra))])
	}
}

// catalogInfo is the resource_catalog part of a run.
func catalogInfo(t *testing.T, info *pipeline.LoadInfo) pipeline.ResourceInfo {
	t.Helper()
	for _, r := range info.Resources {
		if r.Name == "resource_catalog" {
			return r
		}
	}
	t.Fatalf("no resource_catalog in %+v", info.Resources)
	return pipeline.ResourceInfo{}
}

// storedPlan is a resource's plan in the stored state.
func storedPlan(t *testing.T, p *project, resource string) *partition.Plan {
	t.Helper()
	return storedState(t, p).Plan(resource)
}

// TestAMediumWorkspaceLoadsWhole: a newcomer's run with the defaults against a
// workspace past the cap loads every catalog resource the simulator holds, each once,
// within 1.1x the requests an uncapped catalog would take (plus the queries that plan
// the partitions); the second run of the unchanged workspace makes one request per
// partition and one for the sweep, and loads nothing.
func TestAMediumWorkspaceLoadsWhole(t *testing.T) {
	p := newProject(t, simulator.Options{Size: simulator.Medium, Seed: 31}, "[resources.resource_catalog]\n")
	want := walk(p, "resource_catalog", nil)
	if len(want) <= 3*simulator.DefaultCatalogCap {
		t.Fatalf("the medium workspace holds %d catalog resources: not a test of the cap", len(want))
	}
	info := p.run(t, pipeline.RunOptions{})
	sameIDs(t, "resource_catalog", loadedIDs(t, p, "resource_catalog"), want)
	ci := catalogInfo(t, info)
	minimum := (len(want) + simulator.DefaultPageSize - 1) / simulator.DefaultPageSize
	if ci.Partitions < 3 || float64(ci.Pages) > 1.1*float64(minimum) || info.Requests != int64(ci.Pages+ci.PlanPages) || ci.PlanPages > 40 {
		t.Fatalf("%d resources: %d partitions, %d data pages (uncapped minimum %d), %d plan pages, %d requests",
			len(want), ci.Partitions, ci.Pages, minimum, ci.PlanPages, info.Requests)
	}
	if len(info.Incomplete()) > 0 || info.Status() != "loaded" || !strings.Contains(info.String(), "is LOADED and contains no failed jobs") {
		t.Fatalf("status %s, incomplete %v", info.Status(), info.Incomplete())
	}
	var js struct {
		DataPages int `json:"data_pages"`
		PlanPages int `json:"plan_pages"`
	}
	b, _ := json.Marshal(info)
	if err := json.Unmarshal(b, &js); err != nil || js.DataPages != ci.Pages || js.PlanPages != ci.PlanPages {
		t.Fatalf("--json pages: %s", b)
	}
	t.Logf("%d resources, %d partitions: %d data pages (minimum %d), %d plan pages", len(want), ci.Partitions, ci.Pages, minimum, ci.PlanPages)

	plan := storedPlan(t, p, "resource_catalog")
	if plan == nil || len(plan.Parts) != ci.Partitions {
		t.Fatalf("the stored plan: %+v", plan)
	}
	before := p.sim.Stats().Requests
	info = p.run(t, pipeline.RunOptions{})
	made := p.sim.Stats().Requests - before
	if info.Loaded || made > int64(len(plan.Parts)+1) {
		t.Fatalf("the second run of an unchanged workspace: loaded %v, %d requests for %d partitions", info.Loaded, made, len(plan.Parts))
	}
}

// TestAUserFilterAndASmallCap: the user's own filter is combined with every partition,
// and a cap small enough to need three levels of splitting (entity type, integration,
// parent tables) still loads every resource the filter selects.
func TestAUserFilterAndASmallCap(t *testing.T) {
	const cap = 2000
	filter := `{"operator":"or","operands":[{"operator":"exact","field":"entity_type","value":"column"},{"operator":"exact","field":"entity_type","value":"table"}]}`
	p := newProject(t, simulator.Options{Size: simulator.Medium, Seed: 32, CatalogCap: cap},
		fmt.Sprintf("[resources.resource_catalog]\nfilter = %q\n", filter))
	cfg := strings.Replace(readFile(t, p.plan.File), "rate_limit = 0\n", fmt.Sprintf("rate_limit = 0\ncatalog_cap = %d\n", cap), 1)
	p.writeConfig(t, cfg)
	want := walk(p, "resource_catalog", func(r map[string]any) bool { return r["entity_type"] == "column" || r["entity_type"] == "table" })
	info := p.run(t, pipeline.RunOptions{})
	sameIDs(t, "resource_catalog (columns and tables)", loadedIDs(t, p, "resource_catalog"), want)
	plan := storedPlan(t, p, "resource_catalog")
	levels := 0
	for _, part := range plan.Parts {
		levels = max(levels, len(part.Where))
		if part.Status != partition.StatusComplete && part.Status != partition.StatusWindowed {
			t.Errorf("partition %s: %s", part.Label, part.Status)
		}
	}
	if levels < 3 || len(info.Incomplete()) > 0 {
		t.Fatalf("partitions split %d levels deep (want 3); incomplete %v", levels, info.Incomplete())
	}
}

// TestALowerCapIsFoundWithoutConfiguration: a deployment that caps lower than the
// documented 10,000 is found out (the parts of a query add up to more than it) and the
// workspace still loads whole, with a note saying so.
func TestALowerCapIsFoundWithoutConfiguration(t *testing.T) {
	p := newProject(t, simulator.Options{Size: simulator.Medium, Seed: 33, CatalogCap: 3000}, "[resources.resource_catalog]\n")
	want := walk(p, "resource_catalog", nil)
	info := p.run(t, pipeline.RunOptions{})
	sameIDs(t, "resource_catalog", loadedIDs(t, p, "resource_catalog"), want)
	if !strings.Contains(strings.Join(info.Notes, "\n"), "taking 3000 as Secoda's cap") {
		t.Fatalf("no note of the cap found: %v", info.Notes)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// smallCapped is the small workspace under a small cap, told in the config too: many
// partitions from few resources.
func smallCapped(t *testing.T, seed uint64, cap int, resources string) *project {
	t.Helper()
	p := newProject(t, simulator.Options{Seed: seed, CatalogCap: cap}, resources)
	p.writeConfig(t, strings.Replace(readFile(t, p.plan.File), "rate_limit = 0\n", fmt.Sprintf("rate_limit = 0\ncatalog_cap = %d\n", cap), 1))
	return p
}

// TestAResourceMovedBetweenRuns: a column re-parented to a table of another partition,
// and a glossary term re-typed as a table, are one row each after the next run, with
// their new values, and nothing else changed.
func TestAResourceMovedBetweenRuns(t *testing.T) {
	p := smallCapped(t, 34, 30, "[resources.resource_catalog]\n")
	p.run(t, pipeline.RunOptions{})
	plan := storedPlan(t, p, "resource_catalog")
	// A column of one group of parents, and a parent of another group.
	var column, otherTable string
	for _, part := range plan.Parts {
		for _, w := range part.Where {
			if w.Field != partition.FieldParent || len(w.In) == 0 {
				continue
			}
			if column == "" {
				column = p.query(t, fmt.Sprintf("SELECT id FROM resource_catalog WHERE parent_id = '%s' LIMIT 1", w.In[0]))[0][0].(string)
			} else if otherTable == "" {
				otherTable = w.In[0]
			}
		}
	}
	if column == "" || otherTable == "" {
		t.Fatalf("no two groups of parents in the plan: %+v", plan.Parts)
	}
	term := p.query(t, "SELECT id FROM resource_catalog WHERE entity_type = 'glossary' LIMIT 1")[0][0].(string)
	p.patch(t, "resource/all/"+column, fmt.Sprintf(`{"parent": %q}`, otherTable))
	p.patch(t, "resource/all/"+term, `{"entity_type": "table"}`)
	before := p.count(t, "resource_catalog")
	info := p.run(t, pipeline.RunOptions{})
	if !info.Loaded {
		t.Fatal("the moves were not loaded")
	}
	sameIDs(t, "resource_catalog", loadedIDs(t, p, "resource_catalog"), walk(p, "resource_catalog", nil))
	if got := p.count(t, "resource_catalog"); got != before {
		t.Fatalf("%d rows after the moves, %d before", got, before)
	}
	if got := p.query(t, fmt.Sprintf("SELECT parent_id FROM resource_catalog WHERE id = '%s'", column))[0][0]; got != otherTable {
		t.Fatalf("the re-parented column's parent_id: %v, want %s", got, otherTable)
	}
	if got := p.query(t, fmt.Sprintf("SELECT entity_type FROM resource_catalog WHERE id = '%s'", term))[0][0]; got != "table" {
		t.Fatalf("the re-typed term's entity_type: %v", got)
	}
}

// TestAnUnsplittablePartitionIsIncomplete: a table wider than twice the cap has columns
// no query reaches. The run loads what it can read and says so: INCOMPLETE in the
// LoadInfo (not "LOADED ... no failed jobs"), the partition named with the count seen and
// what to do, kept in the state for status, and said again by the next run.
func TestAnUnsplittablePartitionIsIncomplete(t *testing.T) {
	const cap = 500
	p := newProject(t, simulator.Options{Size: simulator.Medium, Seed: 35, CatalogCap: cap}, "[resources.resource_catalog]\n")
	p.writeConfig(t, strings.Replace(readFile(t, p.plan.File), "rate_limit = 0\n", fmt.Sprintf("rate_limit = 0\ncatalog_cap = %d\n", cap), 1))
	// The widest table, by the simulator's own data.
	children := map[string]int{}
	p.sim.Walk("resource_catalog", func(rec map[string]any) bool {
		if pid, ok := rec["parent_id"].(string); ok && rec["entity_type"] == "column" {
			children[pid]++
		}
		return true
	})
	wide, widest := "", 0
	for id, n := range children {
		if n > widest {
			wide, widest = id, n
		}
	}
	if widest <= 2*cap {
		t.Fatalf("the widest table has %d columns: splittable under a cap of %d", widest, cap)
	}
	info := p.run(t, pipeline.RunOptions{})
	text := info.String()
	inc := info.Incomplete()
	if len(inc) != 1 || info.Status() != "incomplete" || strings.Contains(text, "contains no failed jobs") || !strings.Contains(text, "is INCOMPLETE") {
		t.Fatalf("status %s, incomplete %+v:\n%s", info.Status(), inc, text)
	}
	i := inc[0]
	if !strings.Contains(i.Label, wide) || i.Read != 2*cap || i.Count != cap || !strings.Contains(i.Hint, "filter") || !strings.Contains(text, i.Label) {
		t.Fatalf("the incomplete partition: %+v (the wide table %s has %d columns)", i, wide, widest)
	}
	// Everything else is there; of the wide table, what could be read.
	want := walk(p, "resource_catalog", func(r map[string]any) bool { return r["parent_id"] != wide || r["entity_type"] != "column" })
	got := loadedIDs(t, p, "resource_catalog")
	if n := p.query(t, fmt.Sprintf("SELECT count(*) FROM resource_catalog WHERE parent_id = '%s' AND entity_type = 'column'", wide))[0][0]; n != int64(2*cap) {
		t.Fatalf("%v columns of the wide table loaded, want the %d two windows read", n, 2*cap)
	}
	for id := range want {
		if !got[id] {
			t.Fatalf("%s, outside the incomplete partition, is missing", id)
		}
	}
	state := storedState(t, p)
	if parts := state.IncompleteParts()["resource_catalog"]; len(parts) != 1 || parts[0].Partition != i.Partition {
		t.Fatalf("the state keeps %+v", parts)
	}
	health, err := pipeline.ReadHealth(p.plan, state)
	if err != nil || !strings.Contains(strings.Join(health.Lines(), "\n"), "INCOMPLETE: resource_catalog has 1 partition(s)") {
		t.Fatalf("health: %v %v", health, err)
	}
	// The next run, with nothing new, says it again.
	info = p.run(t, pipeline.RunOptions{})
	if len(info.Incomplete()) != 1 || !strings.Contains(info.String(), "INCOMPLETE") {
		t.Fatalf("the second run forgot: %s", info.String())
	}
}

func storedState(t *testing.T, p *project) *pipeline.State {
	t.Helper()
	stored, err := p.dest().ReadStored(t.Context(), p.plan.PipelineName, p.plan.SchemaName)
	if err != nil {
		t.Fatal(err)
	}
	st, err := pipeline.ParseState(p.plan, stored.State)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestResourceDetailCoversEveryPartition: resource_detail fetches every resource the
// partitions list, past the cap.
func TestResourceDetailCoversEveryPartition(t *testing.T) {
	p := smallCapped(t, 36, 30, "[resources.resource_detail]\n")
	info := p.run(t, pipeline.RunOptions{})
	var ri pipeline.ResourceInfo
	for _, r := range info.Resources {
		ri = r
	}
	if ri.Partitions < 3 {
		t.Fatalf("resource_detail's list was read in %d partitions", ri.Partitions)
	}
	sameIDs(t, "resource_detail", loadedIDs(t, p, "resource_detail"), walk(p, "resource_catalog", nil))
	// Details show parent as an id.
	if n := p.query(t, "SELECT count(*) FROM resource_detail WHERE parent IS NOT NULL AND length(parent) = 36")[0][0]; n == int64(0) {
		t.Fatal("no detail carries its parent's id")
	}
}

// TestALowerCapReachedLaterIsFound: a catalog read whole in one query on one run, that
// a cap lower than configured cuts short on the next (the workspace grew past it; here
// the simulator's cap drops), is found out on that run and read whole again.
func TestALowerCapReachedLaterIsFound(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 37, CatalogCap: -1}, "[resources.resource_catalog]\n")
	p.run(t, pipeline.RunOptions{})
	if plan := storedPlan(t, p, "resource_catalog"); len(plan.Parts) != 1 {
		t.Fatalf("the small workspace, uncapped, was read in %d partitions", len(plan.Parts))
	}
	p.sim.SetCatalogCap(150)
	p.patch(t, "resource/all/"+p.query(t, "SELECT id FROM resource_catalog LIMIT 1")[0][0].(string), `{"title": "changed"}`)
	info := p.run(t, pipeline.RunOptions{})
	sameIDs(t, "resource_catalog", loadedIDs(t, p, "resource_catalog"), walk(p, "resource_catalog", nil))
	if ci := catalogInfo(t, info); ci.Partitions < 2 || !strings.Contains(strings.Join(info.Notes, "\n"), "taking 150 as Secoda's cap") {
		t.Fatalf("%d partitions, notes %v", ci.Partitions, info.Notes)
	}
}

package partition_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
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

// fixture is a simulator and a client of it.
type fixture struct {
	key    string
	sim    *simulator.Server
	srv    *httptest.Server
	client *secoda.Client
}

func newFixture(t testing.TB, opts simulator.Options) *fixture {
	t.Helper()
	f := &fixture{key: newKey(t)}
	opts.APIKeys = []string{f.key}
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.sim = sim
	f.srv = httptest.NewServer(sim)
	t.Cleanup(f.srv.Close)
	f.client, err = secoda.New(secoda.Config{BaseURL: f.srv.URL + "/api/v1", APIKey: f.key, RequestsPerMinute: -1, BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// allIDs reads every record of a list from an uncapped simulator of the same workspace
// with plain HTTP and encoding/json: an answer independent of the code under test.
func allIDs(t testing.TB, opts simulator.Options, path, filter string) map[string]bool {
	t.Helper()
	opts.CatalogCap = -1
	f := newFixture(t, opts)
	ids := map[string]bool{}
	next := f.srv.URL + "/api/v1/" + path + "/"
	if filter != "" {
		next += "?filter=" + urlEscape(filter)
	}
	for next != "" {
		req, _ := http.NewRequest("GET", next, nil)
		req.Header.Set("Authorization", "Bearer "+f.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Links   struct{ Next *string } `json:"links"`
			Results []struct {
				ID string `json:"id"`
			} `json:"results"`
		}
		err = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range env.Results {
			ids[r.ID] = true
		}
		next = ""
		if env.Links.Next != nil {
			next = *env.Links.Next
		}
	}
	return ids
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "%20", "\"", "%22", "{", "%7B", "}", "%7D", ",", "%2C", ":", "%3A", "[", "%5B", "]", "%5D", "&", "%26", "+", "%2B")
	return r.Replace(s)
}

// collected is what a reading handed over.
type collected struct {
	mu      sync.Mutex
	ids     map[string]int
	deltas  []json.RawMessage
	pages   int
	records int
}

func (c *collected) consume(it *partition.Item) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deltas = append(c.deltas, it.Delta)
	if it.Page == nil {
		return nil
	}
	c.pages++
	for i, v := range it.Records {
		if !it.Keep[i] {
			continue
		}
		id, _ := v.Get("id")
		c.ids[id.Str]++
		c.records++
	}
	return nil
}

func catalogOptions(f *fixture) partition.Options {
	return partition.Options{Client: f.client, Path: "resource/catalog", Catalog: true, Cursor: "updated_at",
		IntegrationsPath: "integration/integrations", Compare: strings.Compare}
}

func run(t testing.TB, opt partition.Options) (*partition.Result, *collected) {
	t.Helper()
	r, err := partition.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	c := &collected{ids: map[string]int{}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, c.consume)
	if err != nil {
		t.Fatal(err)
	}
	return res, c
}

// TestEveryResourcePastTheCap: a small cap makes the catalog split by entity type, then
// by integration, then by groups of parent tables; every resource is read, once.
func TestEveryResourcePastTheCap(t *testing.T) {
	opts := simulator.Options{Seed: 5, CatalogCap: 30}
	want := allIDs(t, opts, "resource/catalog", "")
	f := newFixture(t, opts)
	opt := catalogOptions(f)
	opt.Cap = 30
	res, got := run(t, opt)
	missing := 0
	for id := range want {
		if got.ids[id] == 0 {
			missing++
		}
	}
	twice := 0
	for id, n := range got.ids {
		if n > 1 {
			twice++
		}
		if !want[id] {
			t.Errorf("read %s, which the workspace does not hold", id)
		}
	}
	t.Logf("%d resources, %d partitions, %d data pages, %d plan pages, %d requests; read twice: %d",
		len(want), res.Partitions, res.DataPages, res.PlanPages, f.client.Stats().Requests, twice)
	if missing > 0 {
		t.Fatalf("%d of %d resources were not read", missing, len(want))
	}
	if len(res.Incomplete) > 0 {
		t.Fatalf("incomplete: %v", res.Incomplete)
	}
	if res.Plan == nil || len(res.Plan.Parts) < 3 {
		t.Fatalf("plan: %+v", res.Plan)
	}
}

// walkIDs lists an endpoint's ids by the simulator's own data.
func walkIDs(sim *simulator.Server, endpoint string) map[string]bool {
	ids := map[string]bool{}
	sim.Walk(endpoint, func(rec map[string]any) bool { ids[rec["id"].(string)] = true; return true })
	return ids
}

func missingOf(got map[string]int, want map[string]bool) (missing int) {
	for id := range want {
		if got[id] == 0 {
			missing++
		}
	}
	return missing
}

// TestEveryCapBehaviour: whatever the API does past the cap (count at the cap, the true
// count with pages ending at the cap, or no count at all), the reading finds the
// capped queries and reads every resource.
func TestEveryCapBehaviour(t *testing.T) {
	for _, mode := range simulator.CapModes {
		t.Run(string(mode), func(t *testing.T) {
			opts := simulator.Options{Seed: 6, Size: simulator.Medium, CatalogCap: 4000, CapMode: mode}
			f := newFixture(t, opts)
			opt := catalogOptions(f)
			opt.Cap = 4000
			res, got := run(t, opt)
			want := walkIDs(f.sim, "resource_catalog")
			if n := missingOf(got.ids, want); n > 0 || len(res.Incomplete) > 0 {
				t.Fatalf("%d of %d resources not read; incomplete %v", n, len(want), res.Incomplete)
			}
			t.Logf("%s: %d resources in %d partitions, %d data pages, %d plan pages", mode, len(want), res.Partitions, res.DataPages, res.PlanPages)
		})
	}
}

// TestCappedPerTypeLists: the deprecated per-type lists are not assumed uncapped. A
// capped table list is read integration by integration (and says what it cannot ask
// for); a column list still capped within one integration is reported incomplete.
func TestCappedPerTypeLists(t *testing.T) {
	// A cap above any one integration's tables and below all of them.
	probe := newFixture(t, simulator.Options{Seed: 7, Size: simulator.Medium})
	perInteg := map[any]int{}
	probe.sim.Walk("table", func(rec map[string]any) bool { perInteg[rec["integration"]]++; return true })
	cap, total := 0, 0
	for _, n := range perInteg {
		cap, total = max(cap, n+1), total+n
	}
	if total <= cap {
		t.Fatalf("tables per integration %v: no cap splits them", perInteg)
	}
	opts := simulator.Options{Seed: 7, Size: simulator.Medium, CatalogCap: cap, CapLists: true}
	f := newFixture(t, opts)
	list := func(path string) partition.Options {
		return partition.Options{Client: f.client, Path: path, Cursor: "updated_at", Compare: strings.Compare, Cap: cap,
			SplitParams: []string{partition.FieldIntegration}, IntegrationsPath: "integration/integrations"}
	}
	res, got := run(t, list("table/tables"))
	want := walkIDs(f.sim, "table")
	if n := missingOf(got.ids, want); n > 0 {
		t.Fatalf("tables: %d of %d not read (%d partitions)", n, len(want), res.Partitions)
	}
	if res.Partitions < 2 || !strings.Contains(strings.Join(res.Notes, " "), "integration by integration") {
		t.Fatalf("tables: %d partitions, notes %v", res.Partitions, res.Notes)
	}
	res, _ = run(t, list("table/columns"))
	if len(res.Incomplete) == 0 {
		t.Fatalf("the column list, capped within an integration, is not reported incomplete: %+v", res)
	}
	for _, i := range res.Incomplete {
		if !strings.Contains(i.Label, "integration_id") || i.Read == 0 || i.Hint == "" {
			t.Errorf("incomplete: %+v", i)
		}
	}
}

// TestAResourceMovedDuringTheRun: a resource moved, while the run reads, from a
// partition not yet read into one already read is read all the same (the closing
// sweep), and its last copy read is the moved one.
func TestAResourceMovedDuringTheRun(t *testing.T) {
	opts := simulator.Options{Seed: 8, CatalogCap: 30}
	f := newFixture(t, opts)
	opt := catalogOptions(f)
	opt.Cap, opt.Concurrency = 30, 1
	var first []partition.Constraint
	firstID, moved := "", ""
	seen := map[string]bool{}
	want := walkIDs(f.sim, "resource_catalog")
	columns := map[string]bool{}
	f.sim.Walk("resource_catalog", func(rec map[string]any) bool {
		if rec["entity_type"] == "column" {
			columns[rec["id"].(string)] = true
		}
		return true
	})
	c := &collected{ids: map[string]int{}}
	last := map[string]string{} // id -> entity_type of its last copy read
	consume := func(it *partition.Item) error {
		if it.Page != nil {
			if firstID == "" {
				firstID, first = it.Partition, it.Where
			}
			for _, v := range it.Records {
				id, _ := v.Get("id")
				seen[id.Str] = true
				et, _ := v.Get("entity_type")
				last[strings.Clone(id.Str)] = strings.Clone(et.Str)
			}
			if moved == "" && it.Partition != firstID && len(first) > 0 {
				// Move an unread resource into the first partition, read whole by now.
				// A column: the columns' partitions, split by parents, are read last.
				for _, id := range slices.Sorted(maps.Keys(columns)) {
					if !seen[id] {
						moved = id
						break
					}
				}
				patch := map[string]any{}
				for _, w := range first {
					switch {
					case w.Field == partition.FieldEntityType && len(w.In) == 1:
						patch["entity_type"] = w.In[0]
					case w.Field == partition.FieldEntityType:
						patch["entity_type"] = "moved_in"
					case w.Field == partition.FieldIntegration && len(w.In) == 1:
						patch["integration"] = w.In[0]
					case w.Field == partition.FieldIntegration:
						patch["integration"] = nil
					case w.Field == partition.FieldParent && len(w.In) > 0:
						patch["parent"] = w.In[0]
					case w.Field == partition.FieldParent:
						patch["parent"] = nil
					}
				}
				body, _ := json.Marshal(patch)
				req, _ := http.NewRequest("PATCH", f.srv.URL+"/api/v1/resource/all/"+moved, strings.NewReader(string(body)))
				req.Header.Set("Authorization", "Bearer "+f.key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("PATCH %s: %s", moved, resp.Status)
				}
				t.Logf("moved %s into %v with %s", moved, first, body)
			}
		}
		return c.consume(it)
	}
	r, err := partition.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), consume); err != nil {
		t.Fatal(err)
	}
	if moved == "" {
		t.Fatal("nothing was moved: the reading had one partition")
	}
	if c.ids[moved] == 0 {
		t.Fatalf("the moved resource %s was never read", moved)
	}
	if last[moved] == "column" {
		t.Fatalf("the last copy read of %s is from before the move", moved)
	}
	if n := missingOf(c.ids, want); n > 0 {
		t.Fatalf("%d resources not read", n)
	}
}

// TestAReadingResumesFromItsDeltas: a reading stopped after some pages goes on, from the
// deltas it had handed over, without reading those pages again, and the two together
// read every resource.
func TestAReadingResumesFromItsDeltas(t *testing.T) {
	opts := simulator.Options{Seed: 9, Size: simulator.Medium}
	f := newFixture(t, opts)
	want := walkIDs(f.sim, "resource_catalog")
	ctx, cancel := context.WithCancel(context.Background())
	c := &collected{ids: map[string]int{}}
	stopAt := 0
	r, _ := partition.New(catalogOptions(f))
	_, err := r.Run(ctx, func(it *partition.Item) error {
		if err := c.consume(it); err != nil {
			return err
		}
		if c.pages >= 400 && stopAt == 0 {
			stopAt = c.pages
			cancel()
			return context.Canceled
		}
		return nil
	})
	if err == nil {
		t.Fatal("the reading did not stop")
	}
	firstReq := f.client.Stats().Requests
	opt := catalogOptions(f)
	opt.Replay = c.deltas
	r2, _ := partition.New(opt)
	c2 := &collected{ids: map[string]int{}}
	res, err := r2.Run(context.Background(), c2.consume)
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range c.ids {
		c2.ids[id] += n
	}
	if n := missingOf(c2.ids, want); n > 0 {
		t.Fatalf("%d of %d resources not read by the two readings", n, len(want))
	}
	total := f.client.Stats().Requests
	clean := newFixture(t, opts)
	cres, _ := run(t, catalogOptions(clean))
	t.Logf("stopped after %d pages (%d requests); together %d requests, a clean reading %d (%d data pages), resumed data pages %d",
		stopAt, firstReq, total, clean.client.Stats().Requests, cres.DataPages, res.DataPages)
	if float64(total) > 1.01*float64(clean.client.Stats().Requests) {
		t.Fatalf("the stopped and the resumed reading made %d requests, a clean one %d", total, clean.client.Stats().Requests)
	}
}

// TestALowerCapWithNoCounts: a deployment that caps lower than configured and gives no
// count at all still reads whole (the whole catalog ends on a full page: it is read
// again, split).
func TestALowerCapWithNoCounts(t *testing.T) {
	opts := simulator.Options{Seed: 10, Size: simulator.Medium, CatalogCap: 3000, CapMode: simulator.CapHidden}
	f := newFixture(t, opts)
	res, got := run(t, catalogOptions(f))
	want := walkIDs(f.sim, "resource_catalog")
	if n := missingOf(got.ids, want); n > 0 || len(res.Incomplete) > 0 {
		t.Fatalf("%d of %d resources not read; incomplete %v", n, len(want), res.Incomplete)
	}
	if !strings.Contains(strings.Join(res.Notes, " "), "gave no count") {
		t.Fatalf("notes %v", res.Notes)
	}
	t.Logf("%d resources, %d partitions, %d data pages, %d plan pages", len(want), res.Partitions, res.DataPages, res.PlanPages)
}

package partition_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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

package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// catalogQueries are the queries a loader that splits the catalog sends: columns of one
// integration under a batch of parent tables, newest first; and the catch-alls.
func catalogQueries(ws *Workspace, n int) []string {
	sortNewest := `{"field":"updated_at","order":"desc","tie_breaker":{"field":"id","order":"asc"}}`
	var out []string
	for i := range n {
		wh := i % ws.tree.warehouses
		t0, t1, _ := ws.underIntegration(wh, kTable)
		first := t0 + (i*7919)%max(1, t1-t0-40)
		var parents []string
		for t := first; t < min(t1, first+40); t++ {
			parents = append(parents, fmt.Sprintf("%q", ws.ID(ws.index(kTable, t))))
		}
		filter := fmt.Sprintf(`{"operator":"and","operands":[{"operator":"exact","field":"entity_type","value":"column"},`+
			`{"operator":"exact","field":"integration_id","value":%q},{"operator":"in","field":"parent_id","value":[%s]}]}`,
			ws.ID(ws.index(kIntegration, wh)), strings.Join(parents, ","))
		out = append(out, urlQuery("filter", filter, "sort", sortNewest))
	}
	return out
}

// BenchmarkFilteredCatalogQuery serves page 1 of a distinct split query each time
// (more of them than the result cache holds) against the large workspace: the cost a
// loader pays per partition. It must be milliseconds, not a scan of a million records.
func BenchmarkFilteredCatalogQuery(b *testing.B) {
	key := newKey(b)
	sim, err := New(Options{Size: Large, Seed: 1, APIKeys: []string{key}})
	if err != nil {
		b.Fatal(err)
	}
	ws := sim.Workspace()
	catchAll := []string{
		urlQuery("filter", `{"operator":"not","operands":[{"operator":"in","field":"entity_type","value":["column","table"]}]}`,
			"sort", `{"field":"id","order":"asc"}`),
		urlQuery("filter", `{"operator":"or","operands":[{"operator":"not","operands":[{"operator":"is_set","field":"integration_id"}]},{"operator":"exact","field":"entity_type","value":"dashboard"}]}`,
			"sort", `{"field":"id","order":"desc"}`),
	}
	cases := []struct {
		name    string
		queries []string
	}{
		{"split by parent tables", catalogQueries(ws, 4*cacheEntries)},
		{"catch-all not entity_type", catchAll[:1]},
		{"catch-all not is_set", catchAll[1:]},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			serve := func(q string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/resource/catalog/?"+q, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				rec := httptest.NewRecorder()
				sim.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %.200s", rec.Code, rec.Body.String())
				}
				return rec
			}
			var env struct{ Count int }
			if err := json.Unmarshal(serve(c.queries[0]).Body.Bytes(), &env); err != nil || env.Count == 0 {
				b.Fatalf("the first query selects %d (%v)", env.Count, err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				// Clear the cache so that a single catch-all query is computed each time.
				sim.mu.Lock()
				sim.cache = nil
				sim.mu.Unlock()
				serve(c.queries[i%len(c.queries)])
				i++
			}
		})
	}
}

package simulator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestWalk: Server.Walk gives what the lists serve, uncapped, with changes applied and
// deleted entities gone, decoded as encoding/json decodes the lists.
func TestWalk(t *testing.T) {
	clock := newClock(fakeNow)
	h := start(t, Options{Seed: 4, CatalogCap: 30, Now: clock.Now})
	uncapped := start(t, Options{Seed: 4, CatalogCap: -1})
	ws := h.sim.Workspace()
	cases := []struct{ endpoint, path string }{
		{"resource_catalog", "/api/v1/resource/catalog/"},
		{"document", "/api/v1/document/"},
		{"column", "/api/v1/table/columns/"},
		{"team", "/api/v1/auth/teams/"},
		{"lineage", "/api/v1/lineage/manual/"},
		{"audit_log", "/api/v1/notification/workspace/"},
		{"user", "/api/v1/user/"},
	}
	for _, c := range cases {
		t.Run(c.endpoint, func(t *testing.T) {
			got := walkAll(h.sim, c.endpoint)
			want := uncapped.walk(t, c.path)
			if !slices.Equal(ids(got), ids(want)) {
				t.Fatalf("Walk gives %d, the uncapped list %d", len(got), len(want))
			}
			byID := map[string]map[string]any{}
			for _, r := range want {
				byID[r["id"].(string)] = r
			}
			for _, r := range got {
				if fmt.Sprint(r) != fmt.Sprint(byID[r["id"].(string)]) {
					t.Fatalf("Walk's %v differs from the list's %v", r, byID[r["id"].(string)])
				}
			}
		})
	}
	if n := len(walkAll(h.sim, "resource_catalog")); n != ws.CatalogSize() {
		t.Errorf("Walk of the capped catalog gives %d, the catalog holds %d", n, ws.CatalogSize())
	}
	var catalog envelope
	h.getJSON(t, "/api/v1/resource/catalog/", &catalog)
	if catalog.Count != 30 {
		t.Fatalf("the served catalog counts %d, want the cap", catalog.Count)
	}

	// Changes are applied, deleted entities are gone.
	patched, deleted := ws.ID(ws.index(kTable, 1)), ws.ID(ws.index(kColumn, 2))
	if r := h.request(t, "PATCH", "/api/v1/resource/all/"+patched, strings.NewReader(`{"title": "renamed"}`)); r.status != 200 {
		t.Fatalf("PATCH: %d", r.status)
	}
	if r := h.request(t, "DELETE", "/api/v1/resource/all/"+deleted, nil); r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	after := walkAll(h.sim, "resource_catalog")
	if len(after) != ws.CatalogSize()-1 || slices.Contains(ids(after), deleted) {
		t.Errorf("after DELETE: %d resources", len(after))
	}
	for _, r := range after {
		if r["id"] == patched && (r["title"] != "renamed" || r["updated_at"] != formatTime(fakeNow)) {
			t.Errorf("patched table: %v %v", r["title"], r["updated_at"])
		}
		if _, ok := r["total_usage"].(float64); !ok {
			t.Fatalf("total_usage %#v is not decoded as encoding/json does", r["total_usage"])
		}
	}

	// resource_detail walks the catalog as the detail shows it.
	details := walkAll(h.sim, "resource_detail")
	if len(details) != ws.CatalogSize()-1 {
		t.Errorf("resource_detail: %d", len(details))
	}
	for _, r := range details {
		if _, ok := r["parent"]; !ok {
			t.Fatalf("a detail without parent: %v", r["id"])
		}
	}
	n := 0
	h.sim.Walk("resource_catalog", func(map[string]any) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Walk went on after fn returned false: %d calls", n)
	}
	h.sim.Walk("no_such_endpoint", func(map[string]any) bool { t.Error("called for an unknown endpoint"); return false })

	// Teams as auth/teams lists them with no parameters: archived ones hidden.
	medium := start(t, Options{Size: Medium, Seed: 1})
	teams := walkAll(medium.sim, "team")
	if !slices.Equal(ids(teams), ids(medium.walk(t, "/api/v1/auth/teams/"))) || len(teams) == medium.sim.Workspace().count[kTeam] {
		t.Errorf("Walk(team) gives %d of %d teams, not the default list", len(teams), medium.sim.Workspace().count[kTeam])
	}
}

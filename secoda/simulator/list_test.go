package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// topLevelKeys reads a JSON object's keys in the order the bytes have them, which a
// map would lose.
func topLevelKeys(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %v %v", tok, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestEnvelopeKeyOrder(t *testing.T) {
	h := start(t, Options{Seed: 1})
	for _, p := range []string{"/api/v1/resource/catalog/", "/api/v1/user/", "/api/v1/table/columns/?page=2"} {
		r := h.get(t, p)
		want := []string{"links", "meta", "count", "total_pages", "results"}
		if got := topLevelKeys(t, r.body); !slices.Equal(got, want) {
			t.Errorf("%s: keys %v, want %v", p, got, want)
		}
		if !bytes.HasPrefix(r.body, []byte(`{"links":{"next":`)) {
			t.Errorf("%s: body starts %.40s", p, r.body)
		}
	}
}

func TestLinksAndMeta(t *testing.T) {
	h := start(t, Options{Seed: 1})
	// 120 columns: three pages of 50, the last one short.
	filter := `{"operator":"exact","field":"entity_type","value":"column"}`
	sort := `{"field":"title","order":"asc"}`
	path := "/api/v1/resource/catalog/"
	cases := []struct {
		page           int
		prev, next     int // 0 for null
		results        int
		queryPageFirst bool // page= written before the other parameters
	}{
		{page: 1, next: 2, results: 50},
		{page: 2, prev: 1, next: 3, results: 50, queryPageFirst: true},
		{page: 3, prev: 2, results: 20},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint("page ", c.page), func(t *testing.T) {
			raw := urlQuery("filter", filter, "sort", sort)
			if c.page > 1 {
				if c.queryPageFirst {
					raw = "page=" + strconv.Itoa(c.page) + "&" + raw
				} else {
					raw += "&page=" + strconv.Itoa(c.page)
				}
			}
			var env envelope
			h.getJSON(t, path+"?"+raw, &env)
			if env.Count != 120 || env.TotalPages != 3 || len(env.Results) != c.results {
				t.Errorf("count %d, total_pages %d, %d results", env.Count, env.TotalPages, len(env.Results))
			}
			if env.Meta.Page != c.page || intOrZero(env.Meta.PreviousPage) != c.prev || intOrZero(env.Meta.NextPage) != c.next {
				t.Errorf("meta %+v, want page %d previous %d next %d", env.Meta, c.page, c.prev, c.next)
			}
			checkLink(t, h, "next", env.Links.Next, path, filter, sort, c.next)
			checkLink(t, h, "previous", env.Links.Previous, path, filter, sort, c.prev)
		})
	}
}

// checkLink holds a page link to the documented rule: absolute, on the request's
// host, the path as the docs print it (no /api/v1, a trailing slash), every other query
// parameter kept, only page changed.
func checkLink(t *testing.T, h *harness, name string, link *string, path, filter, sort string, page int) {
	t.Helper()
	if page == 0 {
		if link != nil {
			t.Errorf("%s link %q, want null", name, *link)
		}
		return
	}
	if link == nil {
		t.Fatalf("%s link null, want page %d", name, page)
	}
	u, err := url.Parse(*link)
	if err != nil {
		t.Fatal(err)
	}
	want := "/" + strings.Trim(strings.TrimPrefix(path, "/api/v1"), "/") + "/"
	if u.Scheme+"://"+u.Host != h.srv.URL || u.Path != want {
		t.Errorf("%s link %q is not %s%s?...", name, *link, h.srv.URL, want)
	}
	q := u.Query()
	if q.Get("filter") != filter || q.Get("sort") != sort || q.Get("page") != strconv.Itoa(page) || len(q) != 3 || len(q["page"]) != 1 {
		t.Errorf("%s link query %v, want the filter, the sort and page=%d", name, q, page)
	}
}

func intOrZero(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func TestPageSizeAndCount(t *testing.T) {
	catalog := 201 // the small workspace's catalog
	cases := []struct {
		pageSize, wantSize, wantPages int
	}{
		{0, DefaultPageSize, 5},
		{7, 7, 29},
		{201, 201, 1},
		{500, 500, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint("page size ", c.pageSize), func(t *testing.T) {
			h := start(t, Options{Seed: 1, PageSize: c.pageSize})
			if got := h.sim.Workspace().CatalogSize(); got != catalog {
				t.Fatalf("catalog size %d, the test expects %d", got, catalog)
			}
			var first, last envelope
			h.getJSON(t, "/api/v1/resource/catalog/", &first)
			h.getJSON(t, "/api/v1/resource/catalog/?page="+strconv.Itoa(c.wantPages), &last)
			if first.Count != catalog || first.TotalPages != c.wantPages {
				t.Errorf("count %d total_pages %d, want %d and %d", first.Count, first.TotalPages, catalog, c.wantPages)
			}
			if len(first.Results) != min(c.wantSize, catalog) {
				t.Errorf("page 1 holds %d, want %d", len(first.Results), min(c.wantSize, catalog))
			}
			if want := catalog - (c.wantPages-1)*c.wantSize; len(last.Results) != want || last.Links.Next != nil {
				t.Errorf("last page holds %d (next %v), want %d and no next", len(last.Results), last.Links.Next, want)
			}
		})
	}
}

func TestInvalidPage(t *testing.T) {
	h := start(t, Options{Seed: 1})
	for _, p := range []string{"0", "-1", "abc", "1.5", "6", "99999999999999999999"} {
		r := h.get(t, "/api/v1/resource/catalog/?page="+p)
		if r.status != http.StatusNotFound || detail(t, r) != "Invalid page." {
			t.Errorf("page=%s: %d %s", p, r.status, r.body)
		}
	}
	// An empty list still has its page 1.
	var env envelope
	filter := `{"operator":"exact","field":"title","value":"no such title"}`
	h.getJSON(t, "/api/v1/resource/catalog/?"+urlQuery("filter", filter), &env)
	if env.Count != 0 || env.TotalPages != 1 || env.Results == nil || len(env.Results) != 0 || env.Links.Next != nil {
		t.Errorf("empty list: %+v", env)
	}
}

// TestWalkEveryList pages through every list endpoint as a loader does and checks
// that each entity comes once, all of them come, and ids and timestamps have the
// documented shape.
func TestWalkEveryList(t *testing.T) {
	h := start(t, Options{Seed: 5})
	ws := h.sim.Workspace()
	for _, e := range secoda.Endpoints {
		if !e.Paginated {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			recs := h.walk(t, "/api/v1/"+e.Path+"/")
			want := 0
			for _, k := range endpointKinds[e.Name] {
				want += ws.count[k]
			}
			if len(recs) != want {
				t.Errorf("%d records, the workspace has %d", len(recs), want)
			}
			seen := map[string]bool{}
			for _, r := range recs {
				id, _ := r["id"].(string)
				if seen[id] {
					t.Errorf("id %s comes twice", id)
				}
				seen[id] = true
				checkShapes(t, r, "")
			}
		})
	}
}

// checkShapes walks a record, nested objects included, and checks every id and
// timestamp it can recognise by name.
func checkShapes(t *testing.T, v any, path string) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p := path + "." + k
			if s, ok := val.(string); ok {
				// last_login is "None" (a string) for a user who never logged in, as the
				// users sample shows.
				isTime := strings.HasSuffix(k, "_at") || k == "last_login" && s != "None" || strings.HasPrefix(k, "scheduled_extractions_") && strings.HasSuffix(k, "_run")
				isID := k == "id" || k == "workspace_id"
				if isTime && !timestamp.MatchString(s) {
					t.Errorf("%s = %q is not a microsecond UTC timestamp", p, s)
				}
				if isID && !uuidV4.MatchString(s) {
					t.Errorf("%s = %q is not a lowercase v4 UUID", p, s)
				}
			}
			checkShapes(t, val, p)
		}
	case []any:
		for i, e := range x {
			checkShapes(t, e, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func TestCatalogCap(t *testing.T) {
	cases := []struct {
		name      string
		opts      Options
		wantCount func(ws *Workspace) int
	}{
		{"medium is capped at 10,000", Options{Size: Medium, Seed: 1}, func(*Workspace) int { return DefaultCatalogCap }},
		{"a negative cap lifts it", Options{Size: Medium, Seed: 1, CatalogCap: -1}, (*Workspace).CatalogSize},
		{"a custom cap", Options{Seed: 1, CatalogCap: 120}, func(*Workspace) int { return 120 }},
		{"a cap above the catalog", Options{Seed: 1, CatalogCap: 1000}, (*Workspace).CatalogSize},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := start(t, c.opts)
			ws := h.sim.Workspace()
			if c.opts.Size == Medium && ws.CatalogSize() <= DefaultCatalogCap {
				t.Fatalf("medium catalog is %d, not above the cap", ws.CatalogSize())
			}
			want := c.wantCount(ws)
			var env envelope
			h.getJSON(t, "/api/v1/resource/catalog/", &env)
			pages := (want + DefaultPageSize - 1) / DefaultPageSize
			if env.Count != want || env.TotalPages != pages {
				t.Fatalf("count %d total_pages %d, want %d and %d", env.Count, env.TotalPages, want, pages)
			}
			var last envelope
			h.getJSON(t, fmt.Sprintf("/api/v1/resource/catalog/?page=%d", pages), &last)
			if last.Links.Next != nil || len(last.Results) != want-(pages-1)*DefaultPageSize {
				t.Errorf("last page: %d results, next %v", len(last.Results), last.Links.Next)
			}
			if r := h.get(t, fmt.Sprintf("/api/v1/resource/catalog/?page=%d", pages+1)); r.status != http.StatusNotFound {
				t.Errorf("page past the cap: %d", r.status)
			}
		})
	}
}

// TestEndpointParams checks each per-endpoint filter against the oracle of the
// unfiltered list: the filtered walk must be exactly the records whose field equals
// the value.
func TestEndpointParams(t *testing.T) {
	h := start(t, Options{Seed: 2})
	ws := h.sim.Workspace()
	integration := func(i int) string { return ws.ID(ws.index(kIntegration, i)) }
	cases := []struct {
		path, param, field string
		value              func(all []map[string]any) string
		wantNone           bool
	}{
		{"table/tables", "integration_id", "integration", func([]map[string]any) string { return integration(0) }, false},
		{"table/tables", "integration_id", "integration", func([]map[string]any) string { return integration(1) }, false},
		// The third integration is a BI tool: it has no tables.
		{"table/tables", "integration_id", "integration", func([]map[string]any) string { return integration(2) }, true},
		{"table/tables", "parent_id", "parent_id", fieldOf(0, "parent_id"), false},
		{"table/tables", "title", "title", fieldOf(5, "title"), false},
		{"table/columns", "table_title", "table_title", fieldOf(17, "table_title"), false},
		{"table/columns", "integration_id", "integration", func([]map[string]any) string { return integration(1) }, false},
		{"table/columns", "title", "title", fieldOf(3, "title"), false},
		// The small workspace's only BI tool holds every dashboard; a warehouse holds none.
		{"dashboard/dashboards", "integration_id", "integration", func([]map[string]any) string { return integration(0) }, true},
		{"dashboard/dashboards", "title", "title", fieldOf(2, "title"), false},
		{"dashboard/charts", "parent_id", "parent_id", fieldOf(4, "parent_id"), false},
		{"integration/integrations", "type", "type", fieldOf(0, "type"), false},
		{"integration/integrations", "type", "type", func([]map[string]any) string { return "no-such-type" }, true},
		{"collection/collections", "title", "title", fieldOf(1, "title"), false},
		{"dictionary/terms", "title", "title", fieldOf(2, "title"), false},
		// The older parameter names filter the newer fields.
		{"lineage/manual", "from_entity", "from_entity_id", fieldOf(3, "from_entity_id"), false},
		{"lineage/manual", "from_entity_id", "from_entity_id", fieldOf(3, "from_entity_id"), false},
		{"lineage/manual", "to_entity", "to_entity_id", fieldOf(6, "to_entity_id"), false},
		{"lineage/manual", "to_entity_id", "to_entity_id", fieldOf(6, "to_entity_id"), false},
	}
	for _, c := range cases {
		t.Run(c.path+"?"+c.param, func(t *testing.T) {
			all := h.walk(t, "/api/v1/"+c.path+"/")
			value := c.value(all)
			want := where(all, func(r map[string]any) bool { return r[c.field] == value })
			if (len(want) == 0) != c.wantNone {
				t.Fatalf("the oracle finds %d records with %s = %q", len(want), c.field, value)
			}
			if !c.wantNone && len(want) == len(all) {
				t.Fatalf("every record has %s = %q: the filter would not be tested", c.field, value)
			}
			got := h.walk(t, "/api/v1/"+c.path+"/?"+urlQuery(c.param, value))
			if !slices.Equal(ids(got), ids(want)) {
				t.Errorf("%s=%q: %d records, want %d", c.param, value, len(got), len(want))
			}
		})
	}
}

// fieldOf takes the value of a field from the i-th record of a list, so that a case
// filters on a value the workspace really has.
func fieldOf(i int, field string) func([]map[string]any) string {
	return func(all []map[string]any) string {
		s, _ := all[i][field].(string)
		return s
	}
}

func TestTeamsHideArchivedUnlessAsked(t *testing.T) {
	// The small workspace has no archived team; the medium one has some.
	h := start(t, Options{Size: Medium, Seed: 1})
	all := h.walk(t, "/api/v1/auth/teams/?include_archived=true")
	if len(all) != h.sim.Workspace().count[kTeam] {
		t.Fatalf("include_archived=true lists %d of %d teams", len(all), h.sim.Workspace().count[kTeam])
	}
	archived := where(all, func(r map[string]any) bool { return r["archived"] == true })
	active := where(all, func(r map[string]any) bool { return r["archived"] == false })
	if len(archived) == 0 || len(active) == 0 {
		t.Fatalf("%d archived and %d active teams: the test needs both", len(archived), len(active))
	}
	for _, q := range []string{"", "?include_archived=false"} {
		got := h.walk(t, "/api/v1/auth/teams/"+q)
		if !slices.Equal(ids(got), ids(active)) {
			t.Errorf("auth/teams%s lists %d teams, want the %d active ones", q, len(got), len(active))
		}
	}
}

// fakeNow is after every generated timestamp (they end at refTime), as the wall
// clock is when a user runs the simulator.
var fakeNow = refTime.AddDate(0, 1, 0)

func TestPatch(t *testing.T) {
	clock := newClock(fakeNow)
	h := start(t, Options{Seed: 1, Now: clock.Now})
	ws := h.sim.Workspace()
	id := ws.ID(ws.index(kTable, 4))
	var before map[string]any
	h.getJSON(t, "/api/v1/resource/all/"+id, &before)

	body := fmt.Sprintf(`{"title": "renamed \"orders\" ✓", "id": %q, "created_at": "2001-01-01T00:00:00.000000Z", "no_such_field": 1}`,
		ws.ID(ws.index(kTable, 5)))
	r := h.request(t, http.MethodPatch, "/api/v1/resource/all/"+id, strings.NewReader(body))
	if r.status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	var after map[string]any
	if err := json.Unmarshal(r.body, &after); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"title":      `renamed "orders" ✓`,
		"id":         id,
		"created_at": before["created_at"],
		"updated_at": formatTime(fakeNow),
	}
	for k, v := range want {
		if after[k] != v {
			t.Errorf("after PATCH %s = %v, want %v", k, after[k], v)
		}
	}
	if _, ok := after["no_such_field"]; ok {
		t.Error("PATCH added a field the resource does not have")
	}
	if after["updated_at"].(string) <= before["updated_at"].(string) {
		t.Errorf("updated_at %v is not after %v", after["updated_at"], before["updated_at"])
	}

	// The change is what every later read sees.
	var again map[string]any
	h.getJSON(t, "/api/v1/resource/all/"+id, &again)
	if again["title"] != want["title"] || again["updated_at"] != want["updated_at"] {
		t.Errorf("GET after PATCH: title %v updated_at %v", again["title"], again["updated_at"])
	}
	var newest envelope
	h.getJSON(t, "/api/v1/resource/catalog/?"+urlQuery("sort", `{"field":"updated_at","order":"desc"}`), &newest)
	if newest.Results[0]["id"] != id {
		t.Errorf("newest resource is %v, want the patched %s", newest.Results[0]["id"], id)
	}
	var found envelope
	h.getJSON(t, "/api/v1/resource/catalog/?"+urlQuery("filter", `{"operator":"contains","field":"title","value":"RENAMED"}`), &found)
	if found.Count != 1 || found.Results[0]["id"] != id {
		t.Errorf("filtering on the new title finds %d", found.Count)
	}

	// A second PATCH in the same instant still moves updated_at forward.
	r = h.request(t, http.MethodPatch, "/api/v1/resource/all/"+id, strings.NewReader(`{"description": null}`))
	var second map[string]any
	if err := json.Unmarshal(r.body, &second); err != nil || r.status != http.StatusOK {
		t.Fatalf("second PATCH: %d %v", r.status, err)
	}
	if second["description"] != nil || second["updated_at"].(string) <= after["updated_at"].(string) {
		t.Errorf("second PATCH: description %v, updated_at %v after %v", second["description"], second["updated_at"], after["updated_at"])
	}
}

// TestPatchMovesUpdatedAtForwardEvenWithAClockBehind: incremental loading relies on a
// changed entity sorting after everything loaded before it.
func TestPatchMovesUpdatedAtForwardEvenWithAClockBehind(t *testing.T) {
	past := newClock(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	h := start(t, Options{Seed: 1, Now: past.Now})
	ws := h.sim.Workspace()
	id := ws.ID(ws.index(kTable, 4))
	var before map[string]any
	h.getJSON(t, "/api/v1/resource/all/"+id, &before)
	r := h.request(t, http.MethodPatch, "/api/v1/resource/all/"+id, strings.NewReader(`{"description": "x"}`))
	var after map[string]any
	if r.status != http.StatusOK || json.Unmarshal(r.body, &after) != nil {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	if after["updated_at"].(string) <= before["updated_at"].(string) {
		t.Fatalf("updated_at went from %v to %v", before["updated_at"], after["updated_at"])
	}
}

func TestPatchRefusesANonObject(t *testing.T) {
	h := start(t, Options{Seed: 1})
	ws := h.sim.Workspace()
	id := ws.ID(ws.index(kTable, 0))
	for _, body := range []string{`[]`, `"title"`, `null`, `42`, `{"title":`, ``} {
		r := h.request(t, http.MethodPatch, "/api/v1/resource/all/"+id, strings.NewReader(body))
		if r.status != http.StatusBadRequest {
			t.Errorf("PATCH %q: %d, want 400", body, r.status)
			continue
		}
		var errs map[string][]string
		if err := json.Unmarshal(r.body, &errs); err != nil || len(errs) != 1 {
			t.Errorf(`PATCH %q: body %s is not {"field": ["message"]}`, body, r.body)
		}
	}
	var unchanged map[string]any
	h.getJSON(t, "/api/v1/resource/all/"+id, &unchanged)
	if unchanged["updated_at"] != formatTime(ws.generatedUpdatedAt(ws.index(kTable, 0))) {
		t.Error("a refused PATCH changed updated_at")
	}
}

func TestDelete(t *testing.T) {
	h := start(t, Options{Seed: 1})
	ws := h.sim.Workspace()
	id := ws.ID(ws.index(kColumn, 9))
	var before envelope
	h.getJSON(t, "/api/v1/resource/catalog/", &before)

	r := h.request(t, http.MethodDelete, "/api/v1/resource/all/"+id, nil)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("DELETE: %d %q", r.status, r.body)
	}
	for _, p := range []string{"/api/v1/resource/all/" + id, "/api/v1/resource/catalog/" + id, "/api/v1/table/columns/" + id} {
		if r := h.get(t, p); r.status != http.StatusNotFound {
			t.Errorf("GET %s after DELETE: %d", p, r.status)
		}
	}
	if r := h.request(t, http.MethodDelete, "/api/v1/resource/all/"+id, nil); r.status != http.StatusNotFound {
		t.Errorf("second DELETE: %d", r.status)
	}
	for _, p := range []string{"/api/v1/resource/catalog/", "/api/v1/table/columns/"} {
		all := h.walk(t, p)
		if slices.Contains(ids(all), id) {
			t.Errorf("%s still lists the deleted %s", p, id)
		}
	}
	var after envelope
	h.getJSON(t, "/api/v1/resource/catalog/", &after)
	if after.Count != before.Count-1 {
		t.Errorf("count %d after DELETE, was %d", after.Count, before.Count)
	}
}

func TestUnknownIDsAreNotFound(t *testing.T) {
	h := start(t, Options{Seed: 1})
	other, err := NewWorkspace(Small, 2)
	if err != nil {
		t.Fatal(err)
	}
	ws := h.sim.Workspace()
	tableID := ws.ID(ws.index(kTable, 0))
	cases := []struct{ name, path string }{
		{"malformed", "/api/v1/resource/all/not-a-uuid"},
		{"truncated", "/api/v1/resource/all/" + tableID[:35]},
		{"nil uuid", "/api/v1/resource/all/00000000-0000-0000-0000-000000000000"},
		{"another seed's id", "/api/v1/resource/all/" + other.ID(other.index(kTable, 0))},
		{"a real id with a forged first group", "/api/v1/resource/all/00000000" + tableID[8:]},
		{"a table under documents", "/api/v1/document/" + tableID},
		{"a user under the catalog", "/api/v1/resource/all/" + ws.ID(ws.index(kUser, 0))},
	}
	for _, c := range cases {
		for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
			r := h.request(t, method, c.path, strings.NewReader(`{"title":"x"}`))
			if r.status != http.StatusNotFound || detail(t, r) != "Not found." {
				t.Errorf("%s: %s %d %s", c.name, method, r.status, r.body)
			}
		}
	}
	// Nothing above may have changed the workspace.
	var env envelope
	h.getJSON(t, "/api/v1/resource/catalog/", &env)
	if env.Count != ws.CatalogSize() {
		t.Errorf("catalog count %d, want %d", env.Count, ws.CatalogSize())
	}
}

// TestLargeFirstPageAndDetail is the one test of the million-entry size: the first
// page and a detail by id, which must not need the whole catalog in memory.
func TestLargeFirstPageAndDetail(t *testing.T) {
	h := start(t, Options{Size: Large, Seed: 9})
	ws := h.sim.Workspace()
	if n := ws.CatalogSize(); n < 950_000 || n > 1_050_000 {
		t.Fatalf("large catalog is %d, not a million within 5%%", n)
	}
	var env envelope
	h.getJSON(t, "/api/v1/resource/catalog/", &env)
	if env.Count != DefaultCatalogCap || len(env.Results) != DefaultPageSize {
		t.Errorf("count %d with %d results", env.Count, len(env.Results))
	}
	for i := 1; i < len(env.Results); i++ {
		if env.Results[i-1]["external_usage"].(float64) < env.Results[i]["external_usage"].(float64) {
			t.Fatalf("default order broken at %d", i)
		}
	}
	last := ws.start[lastCatalogKind] + ws.count[lastCatalogKind] - 1
	id := ws.ID(last)
	var obj map[string]any
	h.getJSON(t, "/api/v1/resource/all/"+id, &obj)
	if obj["id"] != id || obj["entity_type"] != "metric" {
		t.Errorf("detail of the last catalog entry: %v %v", obj["id"], obj["entity_type"])
	}
}

// BenchmarkListPage measures serving one catalog page through the handler, once the
// page's result set is computed (as it is for every page after the first).
func BenchmarkListPage(b *testing.B) {
	for _, size := range []Size{Small, Large} {
		b.Run(string(size), func(b *testing.B) {
			key := newKey(b)
			sim, err := New(Options{Size: size, Seed: 1, APIKeys: []string{key}})
			if err != nil {
				b.Fatal(err)
			}
			serve := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/resource/catalog/?page=2", nil)
				req.Header.Set("Authorization", "Bearer "+key)
				rec := httptest.NewRecorder()
				sim.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				return rec
			}
			b.SetBytes(int64(serve().Body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				serve()
			}
		})
	}
}

// TestConcurrentReadsAndWrites runs readers of more distinct queries than the result
// cache holds alongside writers; with -race it checks the locking, and the final
// state checks no write was lost.
func TestConcurrentReadsAndWrites(t *testing.T) {
	clock := newClock(fakeNow)
	h := start(t, Options{Seed: 8, Now: clock.Now})
	ws := h.sim.Workspace()
	const writers, readers = 4, 8
	errs := make(chan error, writers*10+readers*cacheEntries*2)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				id := ws.ID(ws.index(kColumn, w*10+i))
				body := strings.NewReader(fmt.Sprintf(`{"title":"concurrent %d"}`, w*10+i))
				if r, err := h.send(http.MethodPatch, "/api/v1/resource/all/"+id, h.key, body); err != nil || r.status != http.StatusOK {
					errs <- fmt.Errorf("PATCH %s: %d %v", id, r.status, err)
				}
			}
		}()
	}
	for g := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range cacheEntries * 2 {
				filter := fmt.Sprintf(`{"operator":"exact","field":"internal_usage","value":%d}`, (g*cacheEntries*2+i)%40)
				if r, err := h.send(http.MethodGet, catalogPath+"?"+urlQuery("filter", filter), h.key, nil); err != nil || r.status != http.StatusOK {
					errs <- fmt.Errorf("GET with filter %s: %d %v", filter, r.status, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := h.walk(t, catalogPath+"?"+urlQuery("filter", `{"operator":"contains","field":"title","value":"concurrent "}`))
	if len(got) != writers*10 {
		t.Errorf("%d patched titles found, want %d", len(got), writers*10)
	}
}

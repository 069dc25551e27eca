package simulator

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSameSeedSameBytes: loaders' golden tests and benchmarks rely on a seed giving
// the same answers, byte for byte, from any server.
func TestSameSeedSameBytes(t *testing.T) {
	key := newKey(t)
	a := start(t, Options{Seed: 11, APIKeys: []string{key}})
	b := start(t, Options{Seed: 11, APIKeys: []string{key}})
	c := start(t, Options{Seed: 12, APIKeys: []string{key}})
	ws := a.sim.Workspace()
	paths := []string{
		"/api/v1/resource/catalog/",
		"/api/v1/resource/catalog/?page=3",
		"/api/v1/resource/catalog/?" + urlQuery("filter", `{"operator":"in","field":"type","value":["table","chart"]}`, "sort", `{"field":"updated_at","order":"desc"}`),
		"/api/v1/user/",
		"/api/v1/question/questions/",
		"/api/v1/resource/all_v2/custom_properties",
		"/api/v1/resource/all/" + ws.ID(ws.index(kColumn, 33)),
	}
	// The servers listen on different ports; the same Host makes their links comparable.
	fetch := func(h *harness, p string) []byte {
		req, err := http.NewRequest(http.MethodGet, h.srv.URL+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "secoda.test"
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", p, resp.StatusCode, err)
		}
		return body
	}
	for _, p := range paths {
		first, second := fetch(a, p), fetch(b, p)
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two servers with seed 11 differ", p)
		}
		if !bytes.Equal(first, fetch(a, p)) {
			t.Errorf("%s: one server answers differently the second time", p)
		}
	}
	for _, p := range []string{"/api/v1/resource/catalog/", "/api/v1/user/", "/api/v1/tag/"} {
		var x, y envelope
		a.getJSON(t, p, &x)
		c.getJSON(t, p, &y)
		seen := map[string]bool{}
		for _, id := range ids(x.Results) {
			seen[id] = true
		}
		for _, id := range ids(y.Results) {
			if seen[id] {
				t.Errorf("%s: seeds 11 and 12 share id %s", p, id)
			}
		}
	}
}

func TestLookupInvertsID(t *testing.T) {
	small, err := NewWorkspace(Small, 3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range small.Total() {
		id := small.ID(i)
		if seen[id] {
			t.Fatalf("index %d repeats id %s", i, id)
		}
		seen[id] = true
		if got, ok := small.Lookup(id); !ok || got != i {
			t.Fatalf("Lookup(ID(%d)) = %d, %v", i, got, ok)
		}
		if got, ok := small.Lookup(strings.ToUpper(id)); !ok || got != i {
			t.Fatalf("Lookup of the upper-case id of %d = %d, %v", i, got, ok)
		}
	}

	large, err := NewWorkspace(Large, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Every kind's first and last entity, and a stride through the whole range.
	var sample []int
	for k := range numKinds {
		sample = append(sample, large.start[k], large.start[k]+large.count[k]-1)
	}
	for i := 0; i < large.Total(); i += 997 {
		sample = append(sample, i)
	}
	for _, i := range sample {
		id := large.ID(i)
		if !uuidV4.MatchString(id) {
			t.Fatalf("ID(%d) = %q is not a lowercase v4 UUID", i, id)
		}
		if got, ok := large.Lookup(id); !ok || got != i {
			t.Fatalf("large: Lookup(ID(%d)) = %d, %v", i, got, ok)
		}
		// Ids are a function of seed and index: another seed's id is unknown here.
		if _, ok := large.Lookup(small.ID(i % small.Total())); ok {
			t.Fatalf("large (seed 4) knows seed 3's id of %d", i%small.Total())
		}
	}

	// The low half of an id decodes to an index; a forged high half must still fail.
	for _, i := range []int{0, 17, small.Total() - 1} {
		id := small.ID(i)
		forged := strings.Map(func(r rune) rune {
			if r == 'f' {
				return '0'
			}
			return 'f'
		}, id[:8]) + id[8:]
		if idx, ok := small.Lookup(forged); ok {
			t.Errorf("Lookup(%q), %s with its first group changed, = %d", forged, id, idx)
		}
	}

	for _, bad := range []string{"", "x", small.ID(0)[:35], small.ID(0) + "0", strings.ReplaceAll(small.ID(0), "-", "_"),
		"zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz", "00000000-0000-0000-0000-000000000000"} {
		if idx, ok := small.Lookup(bad); ok {
			t.Errorf("Lookup(%q) = %d, want not found", bad, idx)
		}
	}
}

// TestRealism holds the small workspace to the awkward data a loader must survive;
// a simulator that lost it would let loader bugs through.
func TestRealism(t *testing.T) {
	for _, seed := range []uint64{0, 1, 2} {
		h := start(t, Options{Seed: seed})
		catalog := h.walk(t, "/api/v1/resource/catalog/")
		var titled []map[string]any
		for _, p := range []string{"resource/catalog", "document", "collection/collections", "question/questions"} {
			titled = append(titled, h.walk(t, "/api/v1/"+p+"/")...)
		}
		users := h.walk(t, "/api/v1/user/")

		checks := []struct {
			what string
			recs []map[string]any
			has  func(r map[string]any) bool
		}{
			{"a title with non-ASCII characters", titled, func(r map[string]any) bool {
				s := r["title"].(string)
				return utf8.RuneCountInString(s) != len(s)
			}},
			{"a title with double quotes", titled, func(r map[string]any) bool { return strings.Contains(r["title"].(string), `"`) }},
			{"children_count as a number", catalog, func(r map[string]any) bool { _, ok := r["children_count"].(float64); return ok }},
			{"children_count as a string", catalog, func(r map[string]any) bool { _, ok := r["children_count"].(string); return ok }},
			{"a null description", catalog, func(r map[string]any) bool { v, ok := r["description"]; return ok && v == nil }},
			{"an empty description", catalog, func(r map[string]any) bool { return r["description"] == "" }},
			{"custom properties, a list of objects under properties", catalog, func(r map[string]any) bool {
				props, _ := r["properties"].(map[string]any)
				custom, _ := props["custom"].([]any)
				if len(custom) == 0 {
					return false
				}
				p, _ := custom[0].(map[string]any)
				return p["name"] != nil && p["type"] != nil
			}},
			{"a user with onboarding_complete", users, func(r map[string]any) bool { _, ok := r["onboarding_complete"]; return ok }},
			{"a user with onboarding_completed", users, func(r map[string]any) bool { _, ok := r["onboarding_completed"]; return ok }},
		}
		for _, c := range checks {
			if len(where(c.recs, c.has)) == 0 {
				t.Errorf("seed %d: no record has %s", seed, c.what)
			}
		}
		for _, u := range users {
			_, a := u["onboarding_complete"]
			_, b := u["onboarding_completed"]
			if a == b {
				t.Errorf("seed %d: user %v has both or neither onboarding flag", seed, u["id"])
			}
		}
	}
}

func TestWorkspaceSizes(t *testing.T) {
	prev := 0
	for _, size := range Sizes {
		ws, err := NewWorkspace(size, 1)
		if err != nil {
			t.Fatal(err)
		}
		if ws.Size() != size || ws.CatalogSize() <= prev || ws.Total() <= ws.CatalogSize() {
			t.Errorf("%s: catalog %d, total %d, after %d", size, ws.CatalogSize(), ws.Total(), prev)
		}
		prev = ws.CatalogSize()
	}
	if _, err := NewWorkspace("tiny", 1); err == nil || !strings.Contains(err.Error(), "tiny") {
		t.Errorf("NewWorkspace(tiny): %v", err)
	}
}

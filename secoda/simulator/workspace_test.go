package simulator

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
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
		teams := h.walk(t, "/api/v1/auth/teams/?include_archived=true")

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
			{"a team with onboarding_complete", teams, func(r map[string]any) bool { _, ok := r["onboarding_complete"]; return ok }},
			{"a team with onboarding_completed", teams, func(r map[string]any) bool { _, ok := r["onboarding_completed"]; return ok }},
		}
		for _, c := range checks {
			if len(where(c.recs, c.has)) == 0 {
				t.Errorf("seed %d: no record has %s", seed, c.what)
			}
		}
		for _, team := range teams {
			_, a := team["onboarding_complete"]
			_, b := team["onboarding_completed"]
			if a == b {
				t.Errorf("seed %d: team %v has both or neither onboarding flag", seed, team["id"])
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

// TestProportions holds medium and large to the proportions of real workspaces: column
// counts per table skewed (mostly 5 to 40, a tail to 300, mean 25 to 35), warehouses
// of different sizes (in medium one far bigger than the others), exactly one wide table of 1,500 columns in it,
// a rare catalog type with no integration; large within 5 % of a million for any seed.
func TestProportions(t *testing.T) {
	cases := []struct {
		size               Size
		seed               uint64
		catalogLo, catalog int // the catalog's bounds
		bigLo, bigHi       int // the biggest warehouse's columns
	}{
		{Medium, 1, 60_000, 90_000, 40_000, 60_000},
		{Medium, 42, 60_000, 90_000, 40_000, 60_000},
		{Large, 1, 950_000, 1_050_000, 200_000, 600_000},
		{Large, 7, 950_000, 1_050_000, 200_000, 600_000},
		{Large, 123, 950_000, 1_050_000, 200_000, 600_000},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s seed %d", c.size, c.seed), func(t *testing.T) {
			ws, err := NewWorkspace(c.size, c.seed)
			if err != nil {
				t.Fatal(err)
			}
			if n := ws.CatalogSize(); n < c.catalogLo || n > c.catalog {
				t.Errorf("catalog %d, want %d to %d", n, c.catalogLo, c.catalog)
			}
			var columns []int
			for i := range ws.tree.warehouses {
				lo, hi, _ := ws.underIntegration(i, kColumn)
				columns = append(columns, hi-lo)
			}
			if columns[0] < c.bigLo || columns[0] > c.bigHi || slices.Max(columns[1:]) >= columns[0] {
				t.Errorf("columns per warehouse %v: the first should hold %d to %d, more than any other", columns, c.bigLo, c.bigHi)
			}
			if c.size == Medium && slices.Max(columns[1:]) > columns[0]/4 {
				t.Errorf("columns per warehouse %v: medium's others should be small beside the first", columns)
			}
			if c.size == Medium && columns[0] < 4*DefaultCatalogCap {
				t.Errorf("the big warehouse's %d columns do not pass the cap several times", columns[0])
			}
			wide, narrow, sum := 0, 0, 0
			for tb := range ws.count[kTable] {
				n := ws.childCount(kTable, tb)
				sum += n
				switch {
				case n == 1500:
					wide++
					if ws.integrationOf(kTable, tb) != 0 {
						t.Errorf("the wide table is in warehouse %d", ws.integrationOf(kTable, tb))
					}
				case n > maxColumns:
					t.Errorf("table %d has %d columns", tb, n)
				case n >= 5 && n <= 40:
					narrow++
				}
			}
			mean := float64(sum-1500) / float64(ws.count[kTable]-1)
			if wide != 1 || mean < 25 || mean > 35 || float64(narrow) < 0.8*float64(ws.count[kTable]) {
				t.Errorf("%d wide tables, mean %.1f columns, %d of %d tables with 5 to 40", wide, mean, narrow, ws.count[kTable])
			}
			if ws.count[kMetric] < 20 || ws.count[kMetric] > ws.CatalogSize()/1000 {
				t.Errorf("%d metrics: rare, but some dozens", ws.count[kMetric])
			}
			// Warehouses differ in size.
			if len(slices.Compact(slices.Sorted(slices.Values(columns)))) != len(columns) {
				t.Errorf("warehouses of equal size: %v", columns)
			}
		})
	}
}

// TestMediumChildrenCountIsTheColumns: each table's children_count (a number or a
// numeric string) is the number of columns whose parent_id names it, counted from
// what the lists serve.
func TestMediumChildrenCountIsTheColumns(t *testing.T) {
	s, err := New(Options{Size: Medium, Seed: 5, APIKeys: []string{newKey(t)}})
	if err != nil {
		t.Fatal(err)
	}
	perTable := map[string]int{}
	s.Walk("column", func(r map[string]any) bool {
		perTable[r["parent_id"].(string)]++
		return true
	})
	tables, wide := 0, ""
	s.Walk("table", func(r map[string]any) bool {
		tables++
		n := 0
		switch c := r["children_count"].(type) {
		case float64:
			n = int(c)
		case string:
			n, _ = strconv.Atoi(c)
		}
		if n != perTable[r["id"].(string)] {
			t.Fatalf("table %v: children_count %v, %d columns", r["id"], r["children_count"], perTable[r["id"].(string)])
		}
		if n == 1500 {
			wide = r["title"].(string)
		}
		return true
	})
	if tables != len(perTable) || wide == "" {
		t.Errorf("%d tables, %d with columns, wide table %q", tables, len(perTable), wide)
	}
}

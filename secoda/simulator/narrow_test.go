package simulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSpanAlgebra(t *testing.T) {
	s := func(xs ...int) []span {
		var out []span
		for i := 0; i+1 < len(xs); i += 2 {
			out = append(out, span{xs[i], xs[i+1]})
		}
		return out
	}
	cases := []struct {
		name                string
		a, b                []span
		union, inter, minus []span
	}{
		{"disjoint", s(0, 2), s(5, 7), s(0, 2, 5, 7), nil, s(0, 2)},
		{"touching merge", s(0, 2), s(2, 4), s(0, 4), nil, s(0, 2)},
		{"overlap", s(0, 5), s(3, 8), s(0, 8), s(3, 5), s(0, 3)},
		{"inside", s(0, 10), s(3, 4, 6, 7), s(0, 10), s(3, 4, 6, 7), s(0, 3, 4, 6, 7, 10)},
		{"empty b", s(1, 3), nil, s(1, 3), nil, s(1, 3)},
		{"empty a", nil, s(1, 3), s(1, 3), nil, nil},
		{"b covers a", s(2, 3, 5, 6), s(0, 10), s(0, 10), s(2, 3, 5, 6), nil},
		{"many", s(0, 3, 5, 9, 12, 20), s(2, 6, 8, 13), s(0, 20), s(2, 3, 5, 6, 8, 9, 12, 13), s(0, 2, 6, 8, 13, 20)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := unionSpans(c.a, c.b); !slices.Equal(got, c.union) {
				t.Errorf("union %v", got)
			}
			if got := intersectSpans(c.a, c.b); !slices.Equal(got, c.inter) {
				t.Errorf("intersect %v", got)
			}
			if got := subtractSpans(c.a, c.b); !slices.Equal(got, c.minus) {
				t.Errorf("subtract %v", got)
			}
			for _, x := range c.union {
				if !inSpans(c.union, x.lo) || !inSpans(c.union, x.hi-1) || inSpans(c.union, x.hi) && !slices.ContainsFunc(c.union, func(y span) bool { return y.lo == x.hi }) {
					t.Errorf("inSpans disagrees at the edges of %v", x)
				}
			}
		})
	}
}

// TestCheapValuesAreTheRecords holds every value cheapValue computes to the one the
// rendered record carries: filtering and sorting read cheap values, clients read
// records, and the two must never differ.
func TestCheapValuesAreTheRecords(t *testing.T) {
	fields := []string{"id", "updated_at", "created_at", "external_usage", "internal_usage", "total_usage", "entity_type",
		"title", "type", "integration", "parent_id", "parent", "schema", "teams", "table_title", "from_entity_id",
		"to_entity_id", "direction"}
	for _, size := range []Size{Small, Medium} {
		ws, err := NewWorkspace(size, 7)
		if err != nil {
			t.Fatal(err)
		}
		// Every entity of small; of medium each kind's first, last and a stride.
		var sample []int
		for k := range numKinds {
			step := 1
			if size != Small {
				step = max(1, ws.count[k]/200)
			}
			for o := 0; o < ws.count[k]; o += step {
				sample = append(sample, ws.index(k, o))
			}
			sample = append(sample, ws.index(k, ws.count[k]-1))
		}
		checked := 0
		for _, idx := range sample {
			for _, v := range []view{viewList, viewDetail} {
				rec := ws.render(idx, v)
				for _, f := range fields {
					cheap, ok := ws.cheapValue(idx, f, v)
					if !ok {
						continue
					}
					want, has := rec.get(f)
					if !has {
						t.Fatalf("%s %s (view %d): cheap %s = %v, the record has no such field", size, ws.kindOf(idx), v, f, cheap)
					}
					if !reflect.DeepEqual(cheap, want) {
						t.Fatalf("%s %s (view %d): cheap %s = %#v, the record says %#v", size, ws.kindOf(idx), v, f, cheap, want)
					}
					checked++
				}
			}
		}
		if checked < 1000 {
			t.Errorf("%s: only %d values checked", size, checked)
		}
	}
}

// bruteForce is the oracle of a catalog query: every live catalog entity rendered and
// matched, in index order.
func bruteForce(s *Server, filter *filterNode) []int32 {
	var out []int32
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, k := range catalogKinds {
		for idx := s.ws.start[k]; idx < s.ws.start[k]+s.ws.count[k]; idx++ {
			if c := s.changes[idx]; c != nil && c.deleted {
				continue
			}
			rec := s.renderLocked(idx, viewList)
			if filter == nil || filter.match(func(f string) any { v, _ := rec.get(f); return v }) {
				out = append(out, int32(idx))
			}
		}
	}
	return out
}

// computeFor runs a catalog filter the way a list request does, unsorted.
func computeFor(t testing.TB, s *Server, filterJSON string) ([]int32, error) {
	t.Helper()
	rt := s.routes["resource/catalog"]
	lq, err := s.parseListQuery(rt, url.Values{"filter": {filterJSON}})
	if err != nil {
		return nil, err
	}
	lq.order = nil
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.computeSet(rt, lq), nil
}

// filterGen draws random filters over the fields narrowing knows and some it does not,
// with values the workspace really has (and some it has not).
type filterGen struct {
	rng    *rand.Rand
	values map[string][]any
}

func newFilterGen(ws *Workspace, seed uint64) *filterGen {
	g := &filterGen{rng: rand.New(rand.NewPCG(seed, 1)), values: map[string][]any{}}
	add := func(f string, v any) { g.values[f] = append(g.values[f], v) }
	for k := range numKinds {
		add("entity_type", entityType(k))
		add("type", entityType(k))
	}
	for _, d := range dataTypes {
		add("type", d)
	}
	for i := range 12 {
		idx := ws.start[firstCatalogKind] + (i*7919)%ws.CatalogSize()
		add("id", ws.ID(idx))
		k, o := ws.ordinal(idx)
		if p := ws.parentID(k, o); p != nil {
			add("parent_id", p)
		}
		add("title", ws.title(idx))
		add("schema", ws.schemaTitle(k, o))
	}
	for i := range ws.count[kIntegration] {
		add("integration_id", ws.ID(ws.index(kIntegration, i)))
	}
	add("integration_id", ws.ID(ws.index(kDocument, 0))) // an id, but no integration's
	add("parent_id", ws.ID(ws.index(kIntegration, 0)))   // nothing's parent_id
	add("id", "not-a-uuid")
	add("verified", true)
	add("internal_usage", 7.0)
	return g
}

func (g *filterGen) leaf() string {
	fields := []string{"entity_type", "type", "id", "parent_id", "integration_id", "schema", "title", "verified", "internal_usage"}
	f := fields[g.rng.IntN(len(fields))]
	vs := g.values[f]
	pickv := func() any { return vs[g.rng.IntN(len(vs))] }
	j := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	switch g.rng.IntN(4) {
	case 0:
		n := g.rng.IntN(4)
		list := make([]any, n)
		for i := range list {
			list[i] = pickv()
		}
		return fmt.Sprintf(`{"operator":"in","field":%q,"value":%s}`, f, j(list))
	case 1:
		return fmt.Sprintf(`{"operator":"is_set","field":%q,"value":null}`, f)
	}
	return fmt.Sprintf(`{"operator":"exact","field":%q,"value":%s}`, f, j(pickv()))
}

func (g *filterGen) node(depth int) string {
	if depth > 2 || g.rng.IntN(3) == 0 {
		return g.leaf()
	}
	switch g.rng.IntN(3) {
	case 0:
		return fmt.Sprintf(`{"operator":"not","operands":[%s]}`, g.node(depth+1))
	case 1:
		return fmt.Sprintf(`{"operator":"or","operands":[%s,%s]}`, g.node(depth+1), g.node(depth+1))
	}
	parts := []string{g.node(depth + 1), g.node(depth + 1)}
	if g.rng.IntN(2) == 0 {
		parts = append(parts, g.node(depth+1))
	}
	return `{"operator":"and","operands":[` + strings.Join(parts, ",") + `]}`
}

// TestNarrowingMatchesBruteForce: random filters, with some entities patched and
// deleted, select exactly what rendering and matching every record selects.
func TestNarrowingMatchesBruteForce(t *testing.T) {
	h := start(t, Options{Seed: 3})
	s := h.sim
	ws := s.Workspace()
	// Patches that move entities out of the ranges narrowing derives from the index.
	col := ws.ID(ws.index(kColumn, 11))
	for _, p := range []struct{ path, body string }{
		{"/api/v1/table/columns/" + col, fmt.Sprintf(`{"parent_id": %q, "type": "table", "integration": null}`, ws.ID(ws.index(kTable, 20)))},
		{"/api/v1/resource/catalog/" + ws.ID(ws.index(kTable, 2)), `{"schema": "renamed", "type": "column"}`},
	} {
		if r := h.request(t, "PATCH", p.path, strings.NewReader(p.body)); r.status != 200 {
			t.Fatalf("PATCH %s: %d %s", p.path, r.status, r.body)
		}
	}
	if r := h.request(t, "DELETE", "/api/v1/resource/all/"+ws.ID(ws.index(kColumn, 40)), nil); r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	g := newFilterGen(ws, 11)
	nonEmpty := 0
	for i := range 400 {
		f := g.node(0)
		filter, err := parseFilter(f)
		if err != nil {
			t.Fatalf("generated filter %s: %v", f, err)
		}
		got, err := computeFor(t, s, f)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteForce(s, filter); !slices.Equal(got, want) {
			t.Fatalf("filter %d %s: %d entities, brute force %d", i, f, len(got), len(want))
		}
		if len(got) > 0 && len(got) < ws.CatalogSize() {
			nonEmpty++
		}
	}
	if nonEmpty < 100 {
		t.Errorf("only %d of 400 filters selected some but not all: the generator tests little", nonEmpty)
	}
}

// FuzzFilter feeds parseFilter arbitrary text; whatever it accepts must select what
// brute force selects.
func FuzzFilter(f *testing.F) {
	key := newKey(f)
	s, err := New(Options{Seed: 5, APIKeys: []string{key}})
	if err != nil {
		f.Fatal(err)
	}
	ws := s.Workspace()
	g := newFilterGen(ws, 2)
	for range 20 {
		f.Add(g.node(0))
	}
	f.Add(`{"operator":"in","field":"parent_id","value":[]}`)
	f.Add(`{"operator":"not","operands":[{"operator":"exact","field":"type"}]}`)
	f.Add(`{"operator":"exact","field":"integration_id","value":null}`)
	f.Add(`[]`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, text string) {
		filter, err := parseFilter(text)
		if err != nil {
			if _, ok := err.(*badQuery); !ok {
				t.Fatalf("parseFilter(%q) failed with %T, not a 400", text, err)
			}
			return
		}
		got, err := computeFor(t, s, text)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteForce(s, filter); !slices.Equal(got, want) {
			t.Fatalf("filter %s: %d entities, brute force %d", text, len(got), len(want))
		}
	})
}

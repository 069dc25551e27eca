package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

const catalogPath = "/api/v1/resource/catalog/"

// TestCatalogFilter checks each filter against an oracle written here in Go over
// the unfiltered catalog.
func TestCatalogFilter(t *testing.T) {
	h := start(t, Options{Seed: 4})
	ws := h.sim.Workspace()
	all := h.walk(t, catalogPath)
	team := ws.ID(ws.index(kTeam, 1))
	warehouse := ws.ID(ws.index(kIntegration, 0))
	tag := ws.ID(ws.index(kTag, 3))
	column := all[slices.IndexFunc(all, func(r map[string]any) bool { return r["entity_type"] == "column" })]
	titleWithQuote := ""
	for _, r := range all {
		if s := r["title"].(string); strings.Contains(s, `'`) || strings.Contains(s, `"`) {
			titleWithQuote = s
			break
		}
	}

	str := func(v any) string { s, _ := v.(string); return s }
	has := func(list any, want string) bool {
		xs, _ := list.([]any)
		return slices.Contains(xs, any(want))
	}
	cases := []struct {
		name   string
		filter string
		keep   func(r map[string]any) bool
		count  int // when > 0, what the workspace's layout says the count is
	}{
		{"exact type table", `{"operator":"exact","field":"type","value":"table"}`,
			func(r map[string]any) bool { return r["type"] == "table" }, ws.count[kTable]},
		{"exact entity_type column", `{"operator":"exact","field":"entity_type","value":"column"}`,
			func(r map[string]any) bool { return r["entity_type"] == "column" }, ws.count[kColumn]},
		// A column's type is its data type, so type matches data types for columns.
		{"exact type varchar matches columns' data type", `{"operator":"exact","field":"type","value":"varchar"}`,
			func(r map[string]any) bool { return r["entity_type"] == "column" && r["type"] == "varchar" }, 0},
		{"no column has type column", `{"operator":"exact","field":"type","value":"column"}`,
			func(map[string]any) bool { return false }, 0},
		{"exact entity_type metric, the rare type with no integration", `{"operator":"exact","field":"entity_type","value":"metric"}`,
			func(r map[string]any) bool { return r["entity_type"] == "metric" && r["integration"] == nil }, ws.count[kMetric]},
		{"exact schema", `{"operator":"exact","field":"schema","value":"public"}`,
			func(r map[string]any) bool { return r["schema"] == "public" }, 0},
		{"exact entity_type glossary", `{"operator":"exact","field":"entity_type","value":"glossary"}`,
			func(r map[string]any) bool { return r["entity_type"] == "glossary" }, ws.count[kGlossary]},
		{"exact is case-sensitive", `{"operator":"exact","field":"type","value":"TABLE"}`,
			func(map[string]any) bool { return false }, 0},
		{"exact on a title with quotes", fmt.Sprintf(`{"operator":"exact","field":"title","value":%s}`, mustJSON(t, titleWithQuote)),
			func(r map[string]any) bool { return r["title"] == titleWithQuote }, 0},
		{"exact id", fmt.Sprintf(`{"operator":"exact","field":"id","value":%q}`, column["id"]),
			func(r map[string]any) bool { return r["id"] == column["id"] }, 1},
		{"exact parent_id", fmt.Sprintf(`{"operator":"exact","field":"parent_id","value":%q}`, column["parent_id"]),
			func(r map[string]any) bool { return r["parent_id"] == column["parent_id"] }, ws.lay.ColumnsPerTable},
		{"exact on a list field matches an element", fmt.Sprintf(`{"operator":"exact","field":"tags","value":%q}`, tag),
			func(r map[string]any) bool { return has(r["tags"], tag) }, 0},
		{"exact on a number", `{"operator":"exact","field":"internal_usage","value":7}`,
			func(r map[string]any) bool { return r["internal_usage"] == 7.0 }, 0},
		{"exact on a boolean", `{"operator":"exact","field":"verified","value":true}`,
			func(r map[string]any) bool { return r["verified"] == true }, 0},
		{"contains is a case-insensitive substring", `{"operator":"contains","field":"title","value":"ORDERS"}`,
			func(r map[string]any) bool { return strings.Contains(strings.ToLower(str(r["title"])), "orders") }, 0},
		{"contains non-ASCII", `{"operator":"contains","field":"description","value":"漢字"}`,
			func(r map[string]any) bool { return strings.Contains(str(r["description"]), "漢字") }, 0},
		{"in takes a list", `{"operator":"in","field":"type","value":["dashboard","chart"]}`,
			func(r map[string]any) bool { return r["type"] == "dashboard" || r["type"] == "chart" }, ws.count[kDashboard] + ws.count[kChart]},
		{"in with an empty list", `{"operator":"in","field":"type","value":[]}`,
			func(map[string]any) bool { return false }, 0},
		{"is_set description", `{"operator":"is_set","field":"description","value":null}`,
			func(r map[string]any) bool { return str(r["description"]) != "" }, 0},
		{"not is_set description", `{"operator":"not","operands":[{"operator":"is_set","field":"description","value":null}]}`,
			func(r map[string]any) bool { return str(r["description"]) == "" }, 0},
		{"is_set on a list", `{"operator":"is_set","field":"owners"}`,
			func(r map[string]any) bool { return len(r["owners"].([]any)) > 0 }, 0},
		{"integration_id matches the integration field", fmt.Sprintf(`{"operator":"exact","field":"integration_id","value":%q}`, warehouse),
			func(r map[string]any) bool { return r["integration"] == warehouse }, 0},
		{"and", `{"operator":"and","operands":[{"operator":"exact","field":"type","value":"column"},{"operator":"contains","field":"title","value":"id"}]}`,
			func(r map[string]any) bool { return r["type"] == "column" && strings.Contains(str(r["title"]), "id") }, 0},
		{"or", `{"operator":"or","operands":[{"operator":"exact","field":"type","value":"table"},{"operator":"exact","field":"entity_type","value":"glossary"}]}`,
			func(r map[string]any) bool { return r["type"] == "table" || r["type"] == "glossary" }, ws.count[kTable] + ws.count[kGlossary]},
		{"not", `{"operator":"not","operands":[{"operator":"exact","field":"entity_type","value":"column"}]}`,
			func(r map[string]any) bool { return r["entity_type"] != "column" }, ws.CatalogSize() - ws.count[kColumn]},
		{"not in, a catch-all", `{"operator":"not","operands":[{"operator":"in","field":"entity_type","value":["column","table","chart"]}]}`,
			func(r map[string]any) bool {
				return !slices.Contains([]any{"column", "table", "chart"}, r["entity_type"])
			},
			ws.CatalogSize() - ws.count[kColumn] - ws.count[kTable] - ws.count[kChart]},
		{"in parent_id", fmt.Sprintf(`{"operator":"in","field":"parent_id","value":[%q,%q,"not-an-id"]}`, column["parent_id"], all[0]["id"]),
			func(r map[string]any) bool {
				return r["parent_id"] == column["parent_id"] || r["parent_id"] == all[0]["id"]
			}, 0},
		{"and of entity_type, integration_id and parent_id in", fmt.Sprintf(`{"operator":"and","operands":[{"operator":"exact","field":"entity_type","value":"column"},{"operator":"exact","field":"integration_id","value":%q},{"operator":"in","field":"parent_id","value":[%q]}]}`, column["integration"], column["parent_id"]),
			func(r map[string]any) bool {
				return r["entity_type"] == "column" && r["integration"] == column["integration"] && r["parent_id"] == column["parent_id"]
			}, ws.lay.ColumnsPerTable},
		{"or with an is_set catch-all", `{"operator":"or","operands":[{"operator":"exact","field":"entity_type","value":"table"},{"operator":"not","operands":[{"operator":"is_set","field":"integration_id"}]}]}`,
			func(r map[string]any) bool { return r["entity_type"] == "table" || r["integration"] == nil }, 0},
		{"exact id in upper case matches nothing", fmt.Sprintf(`{"operator":"exact","field":"id","value":%q}`, strings.ToUpper(column["id"].(string))),
			func(map[string]any) bool { return false }, 0},
		{"nested", `{"operator":"and","operands":[{"operator":"or","operands":[{"operator":"exact","field":"type","value":"table"},{"operator":"exact","field":"type","value":"dashboard"}]},{"operator":"not","operands":[{"operator":"exact","field":"verified","value":true}]}]}`,
			func(r map[string]any) bool {
				return (r["type"] == "table" || r["type"] == "dashboard") && r["verified"] != true
			}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := where(all, c.keep)
			if c.count > 0 && len(want) != c.count {
				t.Fatalf("the oracle finds %d, the layout says %d", len(want), c.count)
			}
			if len(want) == len(all) {
				t.Fatal("the oracle keeps every resource: the filter would not be tested")
			}
			got := h.walk(t, catalogPath+"?"+urlQuery("filter", c.filter))
			if !slices.Equal(ids(got), ids(want)) {
				t.Errorf("%d resources, want %d", len(got), len(want))
			}
		})
	}

	t.Run("teams", func(t *testing.T) {
		want := where(all, func(r map[string]any) bool { return has(r["teams"], team) })
		if len(want) == 0 || len(want) == len(all) {
			t.Fatalf("team %s holds %d of %d resources", team, len(want), len(all))
		}
		got := h.walk(t, catalogPath+"?"+urlQuery("teams", team))
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("teams=%s: %d resources, want %d", team, len(got), len(want))
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCatalogQueryErrors(t *testing.T) {
	h := start(t, Options{Seed: 1})
	cases := []struct {
		name, param, value string
		mention            string // in the message
	}{
		{"filter not JSON", "filter", `{"operator":`, "JSON"},
		{"filter is a list", "filter", `[1,2]`, "JSON object"},
		{"unknown operator", "filter", `{"operator":"gt","field":"total_usage","value":1}`, `"gt"`},
		{"in without a list", "filter", `{"operator":"in","field":"type","value":"table"}`, `"in"`},
		{"leaf without a field", "filter", `{"operator":"exact","value":"table"}`, "field"},
		{"and without operands", "filter", `{"operator":"and","operands":[]}`, "operands"},
		{"not with two operands", "filter", `{"operator":"not","operands":[{"operator":"is_set","field":"title"},{"operator":"is_set","field":"title"}]}`, "one operand"},
		{"a null operand", "filter", `{"operator":"or","operands":[null]}`, "null"},
		{"bad nested operator", "filter", `{"operator":"and","operands":[{"operator":"like","field":"title","value":"x"}]}`, `"like"`},
		{"sort not JSON", "sort", `updated_at`, "JSON"},
		{"bad order", "sort", `{"field":"updated_at","order":"up"}`, `"up"`},
		{"sort without a field", "sort", `{"order":"asc"}`, "field"},
		{"bad tie breaker", "sort", `{"field":"type","order":"asc","tie_breaker":{"field":"title","order":"sideways"}}`, `"sideways"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.get(t, catalogPath+"?"+urlQuery(c.param, c.value))
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			var body map[string][]string
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatalf(`body %s is not {"%s": ["..."]}`, r.body, c.param)
			}
			msgs := body[c.param]
			if len(body) != 1 || len(msgs) != 1 || !strings.Contains(msgs[0], c.mention) {
				t.Errorf("body %v, want one %s message mentioning %s", body, c.param, c.mention)
			}
		})
	}
}

// TestCatalogSort walks every page of each order, since a sort that holds within a
// page but not across pages is the bug a loader would meet.
func TestCatalogSort(t *testing.T) {
	h := start(t, Options{Seed: 6, PageSize: 40})
	type sorted func(a, b map[string]any) bool // a may come before b
	num := func(f string) func(r map[string]any) float64 {
		return func(r map[string]any) float64 { return r[f].(float64) }
	}
	str := func(f string) func(r map[string]any) string {
		return func(r map[string]any) string { s, _ := r[f].(string); return s }
	}
	cases := []struct {
		name, sort string
		ok         sorted
	}{
		{"default is external_usage desc", "", func(a, b map[string]any) bool {
			return num("external_usage")(a) >= num("external_usage")(b)
		}},
		{"updated_at desc", `{"field":"updated_at","order":"desc"}`, func(a, b map[string]any) bool {
			return str("updated_at")(a) >= str("updated_at")(b)
		}},
		{"updated_at asc", `{"field":"updated_at","order":"asc"}`, func(a, b map[string]any) bool {
			return str("updated_at")(a) <= str("updated_at")(b)
		}},
		{"order defaults to asc", `{"field":"total_usage"}`, func(a, b map[string]any) bool {
			return num("total_usage")(a) <= num("total_usage")(b)
		}},
		{"tie_breaker", `{"field":"type","order":"asc","tie_breaker":{"field":"title","order":"desc"}}`, func(a, b map[string]any) bool {
			ta, tb := str("type")(a), str("type")(b)
			return ta < tb || ta == tb && str("title")(a) >= str("title")(b)
		}},
		{"tie_breaker of a tie_breaker", `{"field":"entity_type","order":"desc","tie_breaker":{"field":"verified","order":"asc","tie_breaker":{"field":"internal_usage","order":"desc"}}}`,
			func(a, b map[string]any) bool {
				ea, eb := str("entity_type")(a), str("entity_type")(b)
				va, vb := a["verified"].(bool), b["verified"].(bool)
				return ea > eb || ea == eb && (!va && vb || va == vb && num("internal_usage")(a) >= num("internal_usage")(b))
			}},
		// As PostgreSQL orders: nulls last ascending, first descending.
		{"nulls last ascending", `{"field":"external_updated_at","order":"asc"}`, func(a, b map[string]any) bool {
			return b["external_updated_at"] == nil || a["external_updated_at"] != nil && str("external_updated_at")(a) <= str("external_updated_at")(b)
		}},
		{"nulls first descending", `{"field":"external_updated_at","order":"desc"}`, func(a, b map[string]any) bool {
			return a["external_updated_at"] == nil || b["external_updated_at"] != nil && str("external_updated_at")(a) >= str("external_updated_at")(b)
		}},
	}
	all := h.walk(t, catalogPath)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := ""
			if c.sort != "" {
				q = "?" + urlQuery("sort", c.sort)
			}
			got := h.walk(t, catalogPath+q)
			if !slices.Equal(ids(got), ids(all)) {
				t.Fatalf("sorting changed the set: %d resources, want %d", len(got), len(all))
			}
			for i := 1; i < len(got); i++ {
				if !c.ok(got[i-1], got[i]) {
					t.Fatalf("out of order at %d (page %d): %s then %s", i, i/40+1, brief(got[i-1]), brief(got[i]))
				}
			}
			// An order some neighbours do not satisfy the other way round is not
			// trivially true of any list.
			reversed := 0
			for i := 1; i < len(got); i++ {
				if !c.ok(got[i], got[i-1]) {
					reversed++
				}
			}
			if reversed == 0 {
				t.Error("the order check accepts the list reversed: it tests nothing")
			}
		})
	}
}

func brief(r map[string]any) string {
	return fmt.Sprintf("{type %v title %q updated_at %v external_updated_at %v external_usage %v}",
		r["type"], r["title"], r["updated_at"], r["external_updated_at"], r["external_usage"])
}

// The cap applies after the sort, as Secoda's does: the first 10,000 by the requested
// order are served, not the first 10,000 the workspace holds.
func TestSortBeforeCap(t *testing.T) {
	h := start(t, Options{Seed: 1, CatalogCap: 30})
	uncapped := start(t, Options{Seed: 1, CatalogCap: -1})
	sort := `{"field":"updated_at","order":"desc"}`
	got := h.walk(t, catalogPath+"?"+urlQuery("sort", sort))
	all := uncapped.walk(t, catalogPath+"?"+urlQuery("sort", sort))
	if len(got) != 30 || !slices.Equal(ids(got), ids(all[:30])) {
		t.Errorf("capped catalog is not the newest 30")
	}
}

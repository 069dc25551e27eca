package tools

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func lineage(t testing.TB, f *fixture, args map[string]any) GetLineageOut {
	t.Helper()
	var out GetLineageOut
	structured(t, call(t, GetLineage(f.d), args), &out)
	return out
}

// edgeTitles is the edges as "from -> to" by title.
func edgeTitles(out GetLineageOut) map[string]bool {
	m := map[string]bool{}
	for _, e := range out.Edges {
		m[e.FromTitle+" -> "+e.ToTitle] = true
	}
	return m
}

func TestGetLineageWalks(t *testing.T) {
	f := catalogLoaded(t)
	// The small workspace's chain: fct_customers -> rpt_customers_3 -> dim_subscriptions_2
	// -> int_users_2 -> fct_invoices_2 -> fct_sessions.
	down := lineage(t, f, map[string]any{"resource": "analytics.marts.fct_customers", "direction": "down", "depth": 10})
	got := edgeTitles(down)
	for _, want := range []string{"fct_customers -> rpt_customers_3", "rpt_customers_3 -> dim_subscriptions_2", "rpt_customers_3 -> dim_refunds_3",
		"dim_subscriptions_2 -> int_users_2", "int_users_2 -> fct_invoices_2", "fct_invoices_2 -> fct_sessions"} {
		if !got[want] {
			t.Errorf("downstream lacks %s: %v", want, got)
		}
	}
	if down.Truncated || down.Deeper || down.Resource.Title != "fct_customers" || down.Nodes[0].ID != down.Resource.ID {
		t.Fatalf("%+v", down)
	}
	for _, e := range down.Edges {
		if e.FromTitle == "fct_customers" && e.Depth != 1 || e.ToTitle == "fct_sessions" && e.Depth != 5 || e.FromType == "" || e.ToType == "" {
			t.Fatalf("edge %+v", e)
		}
	}
	// Each pair once, though the table lists both directions of each.
	seen := map[string]bool{}
	for _, e := range down.Edges {
		if seen[e.To+e.From] || seen[e.From+e.To] {
			t.Fatalf("edge %s -> %s twice", e.FromTitle, e.ToTitle)
		}
		seen[e.From+e.To] = true
	}
	if !strings.HasPrefix(down.Mermaid, "flowchart LR\n") || !strings.Contains(down.Mermaid, `n0["fct_customers (table)"]`) ||
		!strings.Contains(down.Mermaid, "n0 --> n1") {
		t.Fatalf("mermaid:\n%s", down.Mermaid)
	}

	// Depth bounds the walk, and says there is more.
	short := lineage(t, f, map[string]any{"resource": down.Resource.ID, "direction": "down", "depth": 2})
	if !short.Deeper || edgeTitles(short)["int_users_2 -> fct_invoices_2"] || !edgeTitles(short)["rpt_customers_3 -> dim_subscriptions_2"] ||
		!strings.Contains(short.Next, "raise depth") {
		t.Fatalf("%+v", short)
	}
	// The edge limit too.
	cut := lineage(t, f, map[string]any{"resource": down.Resource.ID, "direction": "down", "depth": 10, "limit": 2})
	if len(cut.Edges) != 2 || !cut.Truncated || !strings.Contains(cut.Next, "raise limit") {
		t.Fatalf("%+v", cut)
	}

	// Upstream of fct_sessions, by its title.
	up := lineage(t, f, map[string]any{"resource": "fct_sessions", "direction": "up", "depth": 10})
	got = edgeTitles(up)
	for _, want := range []string{"fct_invoices_2 -> fct_sessions", "int_leads -> fct_sessions", "int_users_2 -> fct_invoices_2", "fct_customers -> rpt_customers_3"} {
		if !got[want] {
			t.Errorf("upstream lacks %s: %v", want, got)
		}
	}
	for _, n := range up.Nodes[1:] {
		if n.Depth >= 0 {
			t.Fatalf("upstream node at depth %d: %+v", n.Depth, n)
		}
	}

	// Both directions, the default; a self-edge (dim_orders_2 -> dim_orders_2) ends
	// where it closes.
	both := lineage(t, f, map[string]any{"resource": "prod.public.dim_orders_2"})
	got = edgeTitles(both)
	if both.Direction != "both" || !got["dim_orders_2 -> dim_orders_2"] || !got["dim_orders_2 -> agg_subscriptions_3"] {
		t.Fatalf("%v", got)
	}

	// A resource without lineage: an empty graph, and what to do.
	none := lineage(t, f, map[string]any{"resource": "Churn"})
	if len(none.Edges) != 0 || len(none.Nodes) != 1 || !strings.Contains(none.Next, "no edge") {
		t.Fatalf("%+v", none)
	}
	res := call(t, GetLineage(f.d), map[string]any{"resource": "analytics.marts.fct_customers", "depth": 10, "limit": MaxLineageEdges})
	if len(text(res)) > 16<<10 || !strings.Contains(text(res), "```mermaid") {
		t.Fatalf("text of %d bytes:\n%s", len(text(res)), text(res))
	}
}

// TestGetLineageCycles: a cycle, and an edge to a resource the catalog does not hold,
// added to the loaded file; the walk ends, each edge once.
func TestGetLineageCycles(t *testing.T) {
	f := catalogLoaded(t)
	start := lineage(t, f, map[string]any{"resource": "analytics.marts.fct_customers", "direction": "down", "depth": 10})
	var sessions, customers string
	for _, n := range start.Nodes {
		switch n.Title {
		case "fct_sessions":
			sessions = n.ID
		case "fct_customers":
			customers = n.ID
		}
	}
	db, err := sql.Open("duckdb", filepath.Join(f.d.Dir, "secoda.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		// fct_sessions -> fct_customers closes a cycle of six; listed both ways, as Secoda does.
		"INSERT INTO secoda_data.lineage (_dlt_load_id, _dlt_id, id, from_entity_id, to_entity_id, direction) VALUES ('l', 'c1', 'c1', '" + sessions + "', '" + customers + "', 'DOWNSTREAM')",
		"INSERT INTO secoda_data.lineage (_dlt_load_id, _dlt_id, id, from_entity_id, to_entity_id, direction) VALUES ('l', 'c2', 'c2', '" + customers + "', '" + sessions + "', 'UPSTREAM')",
		"INSERT INTO secoda_data.lineage (_dlt_load_id, _dlt_id, id, from_entity_id, to_entity_id, direction) VALUES ('l', 'c3', 'c3', '" + sessions + "', 'not-in-the-catalog', 'DOWNSTREAM')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out := lineage(t, f, map[string]any{"resource": customers, "direction": "both", "depth": 10})
	got := edgeTitles(out)
	if !got["fct_sessions -> fct_customers"] || !got["fct_sessions -> not-in-the-catalog"] || out.Truncated || out.Deeper {
		t.Fatalf("%v %+v", got, out)
	}
	counts := map[string]int{}
	for _, e := range out.Edges {
		counts[e.From+">"+e.To]++
	}
	for e, n := range counts {
		if n > 1 {
			t.Fatalf("edge %s %d times", e, n)
		}
	}
	for _, n := range out.Nodes {
		if n.ID == "not-in-the-catalog" && (n.InCatalog || n.Title != n.ID) {
			t.Fatalf("%+v", n)
		}
	}
}

func TestGetLineageErrors(t *testing.T) {
	f := catalogLoaded(t)
	for _, tc := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"resource": "fct_customers", "direction": "sideways"}, []string{`direction "sideways"`, "up, down or both"}},
		{map[string]any{"resource": "fct_customers", "depth": 11}, []string{"depth 11", "1 to 10"}},
		{map[string]any{"resource": "fct_customers", "limit": 301}, []string{"limit 301", "1 to 300"}},
		{map[string]any{"resource": ""}, []string{"resource is empty", "search_catalog"}},
		{map[string]any{"resource": "no_such_table"}, []string{`"no_such_table"`, "search_catalog"}},
		{map[string]any{"resource": strings.Repeat("x", 2000)}, []string{"longer than", "search_catalog"}},
		{map[string]any{}, []string{"resource is empty"}},
	} {
		wantError(t, call(t, GetLineage(f.d), tc.args), tc.want...)
	}
	// Two tables share the title fct_products_3: the candidates, to pass one's id.
	res := call(t, GetLineage(f.d), map[string]any{"resource": "fct_products_3"})
	wantError(t, res, "names several resources", "prod.public.fct_products_3", "prod.analytics.fct_products_3", "pass one's id")
	var cands struct{ Candidates []ResourceRef }
	content(t, res, &cands)
	if len(cands.Candidates) != 2 || cands.Candidates[0].ID == "" {
		t.Fatalf("%+v", cands)
	}

	// Without the lineage table: what to load.
	g := loaded(t)
	wantError(t, call(t, GetLineage(g.d), map[string]any{"resource": "fct_customers"}), "lineage is not loaded", "[resources.lineage]", "run_pipeline")
	h := newFixture(t, simulator.Options{Seed: 4})
	h.config(t, "[resources.lineage]\n")
	if res := call(t, RunPipeline(h.d), nil); res.IsError {
		t.Fatal(text(res))
	}
	wantError(t, call(t, GetLineage(h.d), map[string]any{"resource": "fct_customers"}), "resource_catalog is not loaded", "[resources.resource_catalog]")
}

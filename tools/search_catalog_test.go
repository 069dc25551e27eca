package tools

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// catalogResources are the resources the catalog tools read, all of them.
const catalogResources = "[resources.resource_catalog]\n[resources.integration]\n[resources.collection]\n[resources.lineage]\n[resources.tag]\n[resources.user]\n"

// catalogLoaded is a fixture with the simulator's small workspace (seed 4) loaded
// with everything the catalog tools read.
func catalogLoaded(t testing.TB) *fixture {
	t.Helper()
	f := newFixture(t, simulator.Options{Seed: 4})
	f.config(t, catalogResources)
	if res := call(t, RunPipeline(f.d), nil); res.IsError {
		t.Fatalf("run_pipeline: %s", text(res))
	}
	return f
}

func search(t testing.TB, f *fixture, args map[string]any) SearchCatalogOut {
	t.Helper()
	var out SearchCatalogOut
	structured(t, call(t, SearchCatalog(f.d), args), &out)
	return out
}

func TestSearchCatalogRanks(t *testing.T) {
	f := catalogLoaded(t)
	for _, tc := range []struct {
		name, query string
		args        map[string]any
		first       string // the path of the best match
		match       string
	}{
		{"exact name", "fct_customers", nil, "analytics.marts.fct_customers", "exact"},
		{"exact name, other case", "FCT_Customers", nil, "analytics.marts.fct_customers", "exact"},
		{"exact path", "prod.public.fct_products_3", nil, "prod.public.fct_products_3", "exact"},
		{"prefix", "fct_cust", nil, "analytics.marts.fct_customers", "prefix"},
		{"contains", "customers_3", nil, "prod.public.rpt_customers_3", "title contains"},
		{"word order", "customers fct", nil, "analytics.marts.fct_customers", "all words in title"},
		{"path words", "marts customers", nil, "analytics.marts.fct_customers", "all words"},
		{"one typo", "fct_custmers", nil, "analytics.marts.fct_customers", "one typo"},
		{"a typo alone", "custmers", nil, "analytics.marts.fct_customers", "one typo"},
		{"transposed letters", "fct_cusotmers", nil, "analytics.marts.fct_customers", "one typo"},
		{"filtered by entity type", "customer", map[string]any{"entity_type": "chart"}, "customer \"VIP\" list dashboard.Monthly customers", "title contains"},
		{"glossary", "churn", map[string]any{"entity_type": "glossary"}, "Churn", "exact"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := map[string]any{"query": tc.query}
			for k, v := range tc.args {
				args[k] = v
			}
			out := search(t, f, args)
			if out.Count == 0 {
				t.Fatalf("nothing found: %+v", out)
			}
			best := out.Results[0]
			if best.Path != tc.first || best.Match != tc.match {
				t.Fatalf("best is %s (%s), want %s (%s); all: %+v", best.Path, best.Match, tc.first, tc.match, out.Results)
			}
			for i := 1; i < len(out.Results); i++ {
				if out.Results[i].Score > out.Results[i-1].Score {
					t.Fatalf("not ranked by tier: %+v", out.Results)
				}
			}
			if et, ok := tc.args["entity_type"]; ok {
				for _, r := range out.Results {
					if r.EntityType != et {
						t.Fatalf("entity_type %s let through %+v", et, r)
					}
				}
			}
		})
	}
}

func TestSearchCatalogResults(t *testing.T) {
	f := catalogLoaded(t)
	out := search(t, f, map[string]any{"query": "fct_customers"})
	best := out.Results[0]
	if best.EntityType != "table" || best.Title != "fct_customers" || best.ID == "" || best.Integration == "" {
		t.Fatalf("%+v", best)
	}
	// Owners and tags come named, from the user and tag tables.
	var rc QueryResult
	structured(t, call(t, QueryDataset(f.d), map[string]any{"sql": "select count(*) as n from resource_catalog__tags t join resource_catalog r on t._dlt_parent_id = r._dlt_id where r.id = '" + best.ID + "'"}), &rc)
	if fmt.Sprint(rc.Rows[0]["n"]) != fmt.Sprint(len(best.Tags)) {
		t.Fatalf("tags %v, the dataset has %v", best.Tags, rc.Rows[0]["n"])
	}
	for _, tag := range best.Tags {
		if len(tag) == 36 && strings.Count(tag, "-") == 4 {
			t.Fatalf("tag %s is an id, not a name", tag)
		}
	}
	for _, o := range best.Owners {
		if strings.Count(o, "-") == 4 {
			t.Fatalf("owner %s is an id, not a name", o)
		}
	}

	// The limit holds, and says there is more.
	out = search(t, f, map[string]any{"query": "status", "limit": 3})
	if out.Count != 3 || !out.Truncated || !strings.Contains(out.Next, "raise limit") {
		t.Fatalf("%+v", out)
	}
	// Words in descriptions count, below names.
	out = search(t, f, map[string]any{"query": "nightly dbt", "limit": 50})
	if out.Count == 0 || out.Results[0].Match != "description or definition" {
		t.Fatalf("%+v", out)
	}
	// The integration filter takes a name or a type.
	var integ QueryResult
	structured(t, call(t, QueryDataset(f.d), map[string]any{"sql": "select id, name, type from integration i where exists (select 1 from resource_catalog r where r.integration = i.id and r.title = 'fct_customers')"}), &integ)
	for _, by := range []string{"id", "name", "type"} {
		out = search(t, f, map[string]any{"query": "fct_customers", "integration": integ.Rows[0][by]})
		if out.Count == 0 || out.Results[0].Title != "fct_customers" {
			t.Fatalf("integration by %s: %+v", by, out)
		}
	}
	// Nothing found is a result, with the next step.
	out = search(t, f, map[string]any{"query": "zzqqxx"})
	if out.Count != 0 || out.Results == nil || !strings.Contains(out.Next, "fewer words") {
		t.Fatalf("%+v", out)
	}
	if txt := text(call(t, SearchCatalog(f.d), map[string]any{"query": "customer", "limit": MaxSearchLimit})); len(txt) > 16<<10 {
		t.Fatalf("the text is %d bytes", len(txt))
	}
}

func TestSearchCatalogErrors(t *testing.T) {
	f := catalogLoaded(t)
	for _, tc := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"query": "  "}, []string{"no letters or digits"}},
		{map[string]any{"query": "--"}, []string{"no letters or digits"}},
		{map[string]any{"query": strings.Repeat("x", 300)}, []string{"at most 200"}},
		{map[string]any{"query": "a b c d e f g h i"}, []string{"9 words", "at most 8"}},
		{map[string]any{"query": "orders", "limit": 51}, []string{"limit 51", "1 to 50"}},
		{map[string]any{"query": "orders", "limit": -1}, []string{"1 to 50"}},
		{map[string]any{"query": "orders", "entity_type": "tabel"}, []string{`entity_type "tabel"`, "table", "column"}},
		{map[string]any{"query": "orders", "integration": "oracle"}, []string{`integration "oracle"`, "give one of"}},
		{map[string]any{"query": 5}, []string{"input schema"}},
	} {
		wantError(t, call(t, SearchCatalog(f.d), tc.args), tc.want...)
	}

	// Without resource_catalog: what to load.
	g := newFixture(t, simulator.Options{Seed: 4})
	g.config(t, "[resources.tag]\n")
	if res := call(t, RunPipeline(g.d), nil); res.IsError {
		t.Fatal(text(res))
	}
	wantError(t, call(t, SearchCatalog(g.d), map[string]any{"query": "orders"}), "resource_catalog is not loaded", "[resources.resource_catalog]", "run_pipeline")
	// Nothing loaded at all.
	h := newFixture(t, simulator.Options{Seed: 4})
	h.config(t, catalogResources)
	wantError(t, call(t, SearchCatalog(h.d), map[string]any{"query": "orders"}), "run_pipeline")
}

// TestSearchCatalogTolerates: a catalog loaded without the tables that name owners,
// tags and integrations still searches, with ids for names.
func TestSearchCatalogTolerates(t *testing.T) {
	f := loaded(t)
	out := search(t, f, map[string]any{"query": "fct_customers"})
	if out.Count == 0 || out.Results[0].Title != "fct_customers" {
		t.Fatalf("%+v", out)
	}
	for _, tag := range out.Results[0].Tags {
		if strings.Count(tag, "-") != 4 {
			t.Fatalf("without the tag table a tag is its id: %v", out.Results[0].Tags)
		}
	}
}

func TestOneEditPatterns(t *testing.T) {
	got := oneEditPatterns("abcd")
	for _, want := range []string{"bcd", "acd", "abc", "a.bcd", "abc.d", "a.cd", "ab.d", "bacd", "abdc"} {
		if !slices.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	for _, tc := range []struct {
		a, b       string
		whole, sub int
	}{
		{"custmer", "customer", 1, 1}, {"custmers", "customers", 1, 1}, {"custmer", "customers", 2, 1},
		{"cusotmer", "customer", 1, 1}, {"orders", "orders", 0, 0}, {"ordres", "fct_orders", 5, 1},
	} {
		if d := editDistance(tc.a, tc.b); d != tc.whole {
			t.Errorf("editDistance(%s, %s) = %d, want %d", tc.a, tc.b, d, tc.whole)
		}
		if d := substringDistance(tc.a, tc.b); d != tc.sub {
			t.Errorf("substringDistance(%s, %s) = %d, want %d", tc.a, tc.b, d, tc.sub)
		}
	}
}

// BenchmarkSearchCatalogMillionResources times search_catalog over a catalog of a
// million resources (titles from a few hundred words, so that many share each word;
// descriptions and definitions on most), through the tool as a call runs it: opening
// the file, the passes, the owners and tags of the results. Each query kind has its
// own sub-benchmark.
func BenchmarkSearchCatalogMillionResources(b *testing.B) {
	f := millionCatalog(b)
	tool := SearchCatalog(f.d)
	// The first search after a load builds the index (BenchmarkSearchIndexBuild).
	call(b, tool, map[string]any{"query": "customer"})
	for _, bc := range []struct{ name, query, first string }{
		{"exact", "customer_orders", "customer_orders"},
		{"prefix", "customer_ord", "customer_orders"},
		{"word order", "orders customer", "customer_orders"},
		{"typo", "custmer_orders", "customer_orders"},
		{"ten results", "fct_customers", ""},
		{"description", "nightly", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			args := map[string]any{"query": bc.query}
			for b.Loop() {
				var out SearchCatalogOut
				structured(b, call(b, tool, args), &out)
				if out.Count == 0 || bc.first != "" && (out.Results[0].Title != bc.first || len(out.Results[0].Tags) != 2) {
					b.Fatalf("%+v", out)
				}
			}
		})
	}
}

// BenchmarkSearchIndexBuild times the first search after a load of a million
// resources: the index built from the dataset (two million tags and a million owners
// among it), then the search.
func BenchmarkSearchIndexBuild(b *testing.B) {
	f := millionCatalog(b)
	tool := SearchCatalog(f.d)
	index := filepath.Join(f.d.Dir, ".secoda-workbench", "search", "secoda_pipeline.duckdb")
	for b.Loop() {
		if err := os.Remove(index); err != nil && !errors.Is(err, os.ErrNotExist) {
			b.Fatal(err)
		}
		var out SearchCatalogOut
		structured(b, call(b, tool, map[string]any{"query": "customer_orders"}), &out)
		if out.Count == 0 || out.Results[0].Title != "customer_orders" {
			b.Fatalf("%+v", out)
		}
		info, err := os.Stat(index)
		if err != nil {
			b.Fatalf("no index: %v", err)
		}
		b.ReportMetric(float64(info.Size())/(1<<20), "index-MB")
	}
}

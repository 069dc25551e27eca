package tools

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// TestCatalogToolsOnPostgresAndParquet: search_catalog, get_lineage, describe_resource
// and catalog_report answer the same on Parquet files and on PostgreSQL (when
// scripts/test provides one) as on DuckDB, and the report's SQL runs there too.
func TestCatalogToolsOnPostgresAndParquet(t *testing.T) {
	duck := catalogLoaded(t)
	want := catalogAnswers(t, duck)
	for _, kind := range []string{"filesystem", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, simulator.Options{Seed: 4})
			section, password := f.destination(t, kind)
			f.config(t, section+catalogResources)
			if res := call(t, RunPipeline(f.d), nil); res.IsError {
				t.Fatalf("run_pipeline: %s", text(res))
			}
			got := catalogAnswers(t, f)
			// The searches read an index built from this destination: on Parquet in
			// place, from PostgreSQL a page at a time.
			index, err := os.ReadFile(indexFile(f))
			if err != nil {
				t.Fatalf("no search index: %v", err)
			}
			if password != "" && strings.Contains(string(index), password) {
				t.Fatal("the password is in the search index")
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s on %s:\n%s\nwant (DuckDB):\n%s", k, kind, got[k], w)
				}
			}
			var out CatalogReportOut
			structured(t, call(t, CatalogReport(f.d), nil), &out)
			checkReportSQL(t, f, out)
			wantError(t, call(t, DescribeResource(f.d), map[string]any{"resource": "fct_products_3"}), "names several resources")
			if password != "" && strings.Contains(fmt.Sprint(got), password) {
				t.Fatal("the password is in a result")
			}
		})
	}
}

// catalogAnswers is what the catalog tools say of the small workspace, in a form that
// does not depend on the destination.
func catalogAnswers(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, q := range []string{"fct_customers", "fct_cust", "customers fct", "custmers", "nightly dbt", "customer"} {
		s := search(t, f, map[string]any{"query": q, "limit": 5})
		var b strings.Builder
		for _, r := range s.Results {
			fmt.Fprintf(&b, "%s %s %s %v %v\n", r.Path, r.Match, r.Integration, r.Owners, r.Tags)
		}
		out["search "+q] = b.String()
	}
	l := lineage(t, f, map[string]any{"resource": "rpt_customers_3", "depth": 10})
	var b strings.Builder
	for _, e := range l.Edges {
		fmt.Fprintf(&b, "%s -> %s %d\n", e.FromTitle, e.ToTitle, e.Depth)
	}
	out["lineage"] = b.String() + l.Mermaid
	d := describe(t, f, "analytics.marts.fct_customers")
	d.Description, d.Definition = strings.TrimSpace(d.Description), strings.TrimSpace(d.Definition)
	out["describe"] = fmt.Sprintf("%s %s %+v %+v %+v %+v %+v %+v %+v %+v %+v", d.Path, d.UpdatedAt, d.Parent, d.Columns, d.Owners, d.Tags,
		d.Collections, d.Properties, d.Lineage, d.Documentation, d.Usage)
	var r CatalogReportOut
	structured(t, call(t, CatalogReport(f.d), nil), &r)
	b.Reset()
	for _, fig := range r.Figures {
		fmt.Fprintf(&b, "%s %d %d\n", fig.Name, fig.Value, fig.Total)
	}
	for _, tb := range r.Tables {
		fmt.Fprintf(&b, "%s %d\n", tb.Name, len(tb.Rows))
	}
	out["report"] = b.String()
	return out
}

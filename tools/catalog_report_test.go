package tools

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func report(t testing.TB, f *fixture) (CatalogReportOut, string) {
	t.Helper()
	var out CatalogReportOut
	res := call(t, CatalogReport(f.d), nil)
	structured(t, res, &out)
	return out, text(res)
}

// checkReportSQL runs every SQL the report shows, as an agent would with query_dataset,
// and checks that it gives the figures and lists the report gave.
func checkReportSQL(t *testing.T, f *fixture, out CatalogReportOut) {
	t.Helper()
	for _, fig := range out.Figures {
		var q QueryResult
		structured(t, call(t, QueryDataset(f.d), map[string]any{"sql": fig.SQL}), &q)
		if q.RowCount != 1 || fmt.Sprint(q.Rows[0]["value"]) != fmt.Sprint(fig.Value) || fmt.Sprint(q.Rows[0]["total"]) != fmt.Sprint(fig.Total) {
			t.Errorf("figure %s is %d of %d; its SQL gives %+v", fig.Name, fig.Value, fig.Total, q.Rows)
		}
	}
	for _, tb := range out.Tables {
		var q QueryResult
		structured(t, call(t, QueryDataset(f.d), map[string]any{"sql": tb.SQL, "limit": MaxRowLimit}), &q)
		if q.Truncated || (q.RowCount > len(tb.Rows)) != tb.Truncated || q.RowCount < len(tb.Rows) {
			t.Errorf("list %s has %d rows (truncated %v); its SQL gives %d", tb.Name, len(tb.Rows), tb.Truncated, q.RowCount)
			continue
		}
		for i, r := range tb.Rows {
			if fmt.Sprint(r) != fmt.Sprint(q.Rows[i]) {
				t.Errorf("list %s row %d is %v; its SQL gives %v", tb.Name, i, r, q.Rows[i])
			}
		}
	}
}

func TestCatalogReport(t *testing.T) {
	f := catalogLoaded(t)
	out, txt := report(t, f)
	figures := map[string]ReportFigure{}
	for _, fig := range out.Figures {
		figures[fig.Name] = fig
	}
	for _, name := range []string{"described", "defined", "owned", "tagged", "pii", "pii_without_owners", "pii_without_description", "unused", "stale", "untagged_popular"} {
		if _, ok := figures[name]; !ok {
			t.Errorf("no figure %s: %+v", name, out.Figures)
		}
	}
	total := one(t, f, "select count(*) as n from resource_catalog")["n"]
	if fmt.Sprint(figures["described"].Total) != fmt.Sprint(total) || figures["described"].Value == 0 || figures["described"].Value == figures["described"].Total {
		t.Fatalf("described %+v of %v", figures["described"], total)
	}
	// PII is the flag or a PII tag: more than the flag alone.
	flagged := one(t, f, "select count(*) as n from resource_catalog where pii")["n"]
	if pii := figures["pii"]; fmt.Sprint(pii.Value) == fmt.Sprint(flagged) || pii.Value == 0 || figures["pii_without_owners"].Total != pii.Value {
		t.Fatalf("pii %+v, flagged %v", pii, flagged)
	}
	if stale := figures["stale"]; stale.Value == 0 || stale.Percent <= 0 || stale.Percent > 100 {
		t.Fatalf("stale %+v", stale)
	}
	if len(out.Notes) != 0 {
		t.Fatalf("notes with everything loaded: %v", out.Notes)
	}
	lists := map[string]ReportTable{}
	for _, tb := range out.Tables {
		lists[tb.Name] = tb
	}
	cov := lists["coverage"]
	if len(cov.Rows) == 0 || cov.Columns[0] != "integration" {
		t.Fatalf("coverage %+v", cov)
	}
	sum := 0
	for _, r := range cov.Rows {
		n := fmt.Sprint(r["resources"])
		var v int
		fmt.Sscan(n, &v)
		sum += v
	}
	if fmt.Sprint(sum) != fmt.Sprint(total) {
		t.Fatalf("coverage counts %d resources of %v", sum, total)
	}
	for _, name := range []string{"pii_gaps", "unused_or_stale", "untagged_popular"} {
		if len(lists[name].Rows) == 0 || lists[name].Rows[0]["id"] == nil {
			t.Errorf("list %s: %+v", name, lists[name])
		}
	}
	checkReportSQL(t, f, out)
	if len(txt) > 16<<10 || !strings.Contains(txt, "SELECT") || !strings.Contains(txt, "pii_without_owners") {
		t.Fatalf("text of %d bytes:\n%s", len(txt), txt)
	}
}

// TestCatalogReportPartial: with resource_catalog alone, PII counts the flag, and the
// notes say what to load for the rest; the SQL still runs.
func TestCatalogReportPartial(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 4})
	f.config(t, "[resources.resource_catalog]\n")
	if res := call(t, RunPipeline(f.d), nil); res.IsError {
		t.Fatal(text(res))
	}
	out, _ := report(t, f)
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "[resources.tag]") {
		t.Fatalf("notes %v", out.Notes)
	}
	checkReportSQL(t, f, out)

	g := newFixture(t, simulator.Options{Seed: 4})
	g.config(t, "[resources.tag]\n")
	if res := call(t, RunPipeline(g.d), nil); res.IsError {
		t.Fatal(text(res))
	}
	wantError(t, call(t, CatalogReport(g.d), nil), "resource_catalog is not loaded", "[resources.resource_catalog]", "run_pipeline")
	h := newFixture(t, simulator.Options{Seed: 4})
	h.config(t, catalogResources)
	wantError(t, call(t, CatalogReport(h.d), nil), "nothing loaded yet", "run_pipeline")
}

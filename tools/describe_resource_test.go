package tools

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func describe(t testing.TB, f *fixture, resource string) DescribeResourceOut {
	t.Helper()
	var out DescribeResourceOut
	structured(t, call(t, DescribeResource(f.d), map[string]any{"resource": resource}), &out)
	return out
}

// one is the single row of a query's answer.
func one(t testing.TB, f *fixture, sql string) map[string]any {
	t.Helper()
	var q QueryResult
	structured(t, call(t, QueryDataset(f.d), map[string]any{"sql": sql}), &q)
	if q.RowCount != 1 {
		t.Fatalf("%s: %d rows", sql, q.RowCount)
	}
	return q.Rows[0]
}

func TestDescribeResourceTable(t *testing.T) {
	f := catalogLoaded(t)
	out := describe(t, f, "analytics.marts.fct_customers")
	if out.EntityType != "table" || out.Title != "fct_customers" || out.Path != "analytics.marts.fct_customers" || out.ID == "" {
		t.Fatalf("%+v", out.ResourceRef)
	}
	// Its columns: the resources whose parent it is, in their order, with data types.
	want := one(t, f, "select count(*) as n from resource_catalog where parent_id = '"+out.ID+"' and entity_type = 'column'")
	if fmt.Sprint(len(out.Columns)) != fmt.Sprint(want["n"]) || len(out.Columns) == 0 {
		t.Fatalf("%d columns, the dataset has %v", len(out.Columns), want["n"])
	}
	if !out.Columns[0].PrimaryKey || out.Columns[0].DataType == "" {
		t.Fatalf("the first column: %+v", out.Columns[0])
	}
	// Its parent (a schema), path made of its parents' titles.
	if out.Parent == nil || out.Parent.EntityType != "schema" || out.Parent.Path != "analytics.marts" {
		t.Fatalf("parent %+v", out.Parent)
	}
	if out.Integration == nil || out.Integration.Name == "" {
		t.Fatalf("integration %+v", out.Integration)
	}
	// Tags named from the tag table; the same count as the child table's.
	tags := one(t, f, "select count(*) as n from resource_catalog__tags t join resource_catalog r on t._dlt_parent_id = r._dlt_id where r.id = '"+out.ID+"'")
	if fmt.Sprint(len(out.Tags)) != fmt.Sprint(tags["n"]) {
		t.Fatalf("tags %+v, the dataset has %v", out.Tags, tags["n"])
	}
	for _, l := range out.Tags {
		if l.Name == "" || l.ID == "" {
			t.Fatalf("tag %+v", l)
		}
	}
	// Lineage degree: fct_customers -> rpt_customers_3, nothing upstream.
	if !out.Lineage.Loaded || out.Lineage.Upstream != 0 || out.Lineage.Downstream != 1 {
		t.Fatalf("lineage %+v", out.Lineage)
	}
	if _, ok := out.Usage["total_usage"]; !ok {
		t.Fatalf("usage %+v", out.Usage)
	}
	if _, ok := out.Flags["verified"]; !ok {
		t.Fatalf("flags %+v", out.Flags)
	}
	// Documentation status follows the record.
	row := one(t, f, "select coalesce(description, '') as d from resource_catalog where id = '"+out.ID+"'")
	if out.Documentation.HasDescription != (strings.TrimSpace(row["d"].(string)) != "") ||
		slices.Contains(out.Documentation.Missing, "description") == out.Documentation.HasDescription ||
		slices.Contains(out.Documentation.Missing, "owners") == (len(out.Owners) > 0) {
		t.Fatalf("documentation %+v, description %q", out.Documentation, row["d"])
	}
	res := call(t, DescribeResource(f.d), map[string]any{"resource": out.ID})
	if txt := text(res); !strings.Contains(txt, "Columns (") || !strings.Contains(txt, "Lineage: 0 upstream, 1 downstream") || len(txt) > 16<<10 {
		t.Fatalf("text:\n%s", txt)
	}
}

func TestDescribeResourceOthers(t *testing.T) {
	f := catalogLoaded(t)
	// A column: its table as parent, its data type, its custom properties.
	col := one(t, f, `select r.id, count(p.name) as n from resource_catalog r join resource_catalog__properties__custom p on p._dlt_parent_id = r._dlt_id
		where r.entity_type = 'column' group by r.id order by n desc, r.id limit 1`)
	out := describe(t, f, col["id"].(string))
	if out.EntityType != "column" || out.DataType == "" || out.Parent == nil || out.Parent.EntityType != "table" ||
		fmt.Sprint(len(out.Properties)) != fmt.Sprint(col["n"]) || out.Properties[0].Name == "" {
		t.Fatalf("%+v", out)
	}
	if !strings.HasPrefix(out.Path, out.Parent.Path+".") {
		t.Fatalf("path %s, parent's %s", out.Path, out.Parent.Path)
	}
	// A schema: its tables as children, no columns.
	schema := describe(t, f, "analytics.marts")
	if schema.EntityType != "schema" || len(schema.Columns) != 0 || len(schema.Children) == 0 || schema.Children[0].EntityType != "table" ||
		schema.ChildCount != int64(len(schema.Children)) {
		t.Fatalf("%+v", schema)
	}
	// A glossary term by its title, without a parent.
	term := describe(t, f, "churn")
	if term.EntityType != "glossary" || term.Parent != nil {
		t.Fatalf("%+v", term)
	}
	// Without the lineage table the degree says what to load; without tag and user,
	// labels are ids.
	g := loaded(t)
	bare := describe(t, g, "analytics.marts.fct_customers")
	if bare.Lineage.Loaded || !strings.Contains(bare.Lineage.Note, "[resources.lineage]") {
		t.Fatalf("%+v", bare.Lineage)
	}
	for _, l := range bare.Tags {
		if l.Name != "" {
			t.Fatalf("without the tag table: %+v", l)
		}
	}
}

func TestDescribeResourceErrors(t *testing.T) {
	f := catalogLoaded(t)
	wantError(t, call(t, DescribeResource(f.d), map[string]any{"resource": "Daily accounts"}),
		"names several resources", "Shipments overview.Daily accounts", "Subscriptions overview.Daily accounts")
	wantError(t, call(t, DescribeResource(f.d), map[string]any{"resource": "no_such_thing"}), "no resource has the id, path or title", "search_catalog")
	wantError(t, call(t, DescribeResource(f.d), map[string]any{"resource": " "}), "resource is empty")
	wantError(t, call(t, DescribeResource(f.d), map[string]any{"resource": 7}), "input schema")
	// The full path picks one of the two.
	if out := describe(t, f, "Shipments overview.Daily accounts"); out.EntityType != "chart" {
		t.Fatalf("%+v", out)
	}
	h := newFixture(t, simulator.Options{Seed: 4})
	h.config(t, catalogResources)
	wantError(t, call(t, DescribeResource(h.d), map[string]any{"resource": "orders"}), "run_pipeline")
}

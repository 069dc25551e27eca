package tools

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestExportSchema(t *testing.T) {
	f := loaded(t)
	export := ExportSchema(f.d)
	var out ExportSchemaOut
	res := call(t, export, nil)
	structured(t, res, &out)
	if out.Format != "mermaid" || out.Tables != 23 || out.Truncated || out.Schema != text(res) || !strings.HasPrefix(out.Schema, "erDiagram\n") {
		t.Fatalf("%+v", out)
	}
	for _, want := range []string{
		"    resource_catalog {\n        text id PK\n        timestamp created_at\n",
		"        text _dlt_id UK\n",
		"    resource_catalog__tags {\n        text value\n        text _dlt_root_id\n        text _dlt_parent_id FK\n        bigint _dlt_list_idx\n        text _dlt_id PK\n    }\n",
		"    resource_catalog ||--o{ resource_catalog__tags : \"_dlt_parent_id\"\n",
	} {
		if !strings.Contains(out.Schema, want) {
			t.Errorf("the diagram does not say %q:\n%s", want, out.Schema)
		}
	}

	out = ExportSchemaOut{}
	structured(t, call(t, export, map[string]any{"format": "dbml"}), &out)
	for _, want := range []string{
		"Project secoda_data {",
		"Table resource_catalog {\n  id text [pk, not null]\n",
		"  _dlt_id text [unique, not null]\n",
		"  Note: 'resource resource_catalog, merge'\n}\n",
		"Table resource_catalog__tags {\n  value text\n",
		"\nRef: resource_catalog__tags._dlt_parent_id > resource_catalog._dlt_id\n",
	} {
		if !strings.Contains(out.Schema, want) {
			t.Errorf("the DBML does not say %q:\n%s", want, out.Schema)
		}
	}

	out = ExportSchemaOut{}
	structured(t, call(t, export, map[string]any{"format": "json"}), &out)
	// dlt's stored form, of whole tables within the bound.
	s, err := normalize.ParseSchema([]byte(out.Schema))
	if err != nil || len(s.Tables)+len(out.Omitted) != 23 || len(s.Tables) != out.Tables || len(out.Schema) > MaxText ||
		out.Truncated != (len(out.Omitted) > 0) || s.Tables["collection"] == nil {
		t.Fatalf("json: %v, %d tables and %v omitted, %d bytes", err, len(s.Tables), out.Omitted, len(out.Schema))
	}

	wantError(t, call(t, export, map[string]any{"format": "yaml"}), `format "yaml"`, "mermaid, dbml or json")

	// The server's schema resource: the same diagram, whole.
	whole, err := SchemaMermaid(t.Context(), f.d)
	if err != nil || whole != text(call(t, export, nil)) {
		t.Fatalf("SchemaMermaid: %v\n%s", err, whole)
	}
}

func TestExportSchemaBeforeAnyLoad(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	wantError(t, call(t, ExportSchema(f.d), nil), "scaffold_config")
	f.config(t, "[resources.collection]\n")
	wantError(t, call(t, ExportSchema(f.d), nil), "nothing loaded yet", "Call run_pipeline first")
	if _, err := SchemaMermaid(t.Context(), f.d); !errors.Is(err, dest.ErrNoData) {
		t.Fatalf("SchemaMermaid before any load: %v", err)
	}
}

func TestSchemaExportsQuoteWhatTheyMust(t *testing.T) {
	s := normalize.NewSchema()
	s.Tables["note"] = &normalize.Table{Name: "note", Resource: "note", Disposition: "append",
		Columns: []*normalize.Column{{Name: "order", Type: normalize.BigInt, Nullable: true}, {Name: "_dlt_id", Type: normalize.Text}}}
	dbml := dbmlSchema(s, "secoda_data")
	if !strings.Contains(dbml, "Table \"note\" {\n  order bigint\n  _dlt_id text [pk, not null]\n") {
		t.Fatalf("dbml:\n%s", dbml)
	}
	if m := mermaidSchema(s); !strings.Contains(m, "    note {\n        bigint order\n        text _dlt_id PK\n    }\n") {
		t.Fatalf("mermaid:\n%s", m)
	}
}

func TestExportSchemaIsCutWithTheWayToTheRest(t *testing.T) {
	s := normalize.NewSchema()
	for i := range 100 {
		tb := &normalize.Table{Name: fmt.Sprintf("resource_%03d", i), Resource: "r", Disposition: "merge", PrimaryKey: "id"}
		for j := range 30 {
			tb.Columns = append(tb.Columns, &normalize.Column{Name: fmt.Sprintf("column_%02d", j), Type: normalize.Text, Nullable: true})
		}
		s.Tables[tb.Name] = tb
	}
	for _, format := range []string{"mermaid", "dbml"} {
		out := exportSchema(s, format, "secoda_data")
		if !out.Truncated || len(out.Schema) > MaxText || !strings.HasSuffix(out.Schema, "get_table_schema gives each table in full)\n") || out.Tables != 100 {
			t.Errorf("%s: truncated %v, %d bytes, ends %q", format, out.Truncated, len(out.Schema), out.Schema[len(out.Schema)-80:])
		}
	}
	// JSON keeps whole tables, and says which it left out.
	out := exportSchema(s, "json", "secoda_data")
	back, err := normalize.ParseSchema([]byte(out.Schema))
	if err != nil || !out.Truncated || len(out.Schema) > MaxText || len(back.Tables) != out.Tables || out.Tables+len(out.Omitted) != 100 ||
		out.Omitted[len(out.Omitted)-1] != "resource_099" {
		t.Errorf("json: %v, truncated %v, %d bytes, %d tables, omitted %v", err, out.Truncated, len(out.Schema), out.Tables, out.Omitted)
	}
}

package tools

import (
	"slices"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestGetTableSchema(t *testing.T) {
	f := loaded(t)
	schema := GetTableSchema(f.d)
	var out GetTableSchemaOut
	res := call(t, schema, map[string]any{"table": "resource_catalog"})
	structured(t, res, &out)
	cols := map[string]ColumnInfo{}
	for _, c := range out.Columns {
		cols[c.Name] = c
	}
	if out.Name != "resource_catalog" || out.System || out.Parent != "" || out.Join != "" || out.Resource != "resource_catalog" ||
		out.Disposition != "merge" || out.PrimaryKey != "id" || !slices.Contains(out.Children, "resource_catalog__tags") {
		t.Fatalf("%+v", out)
	}
	if c := cols["updated_at"]; c.DataType != "timestamp" || c.DBType != "TIMESTAMP WITH TIME ZONE" || !c.Nullable {
		t.Fatalf("updated_at: %+v", c)
	}
	if c := cols["_dlt_id"]; c.DataType != "text" || c.DBType != "VARCHAR" || c.Nullable {
		t.Fatalf("_dlt_id: %+v", c)
	}
	if c := cols["total_usage"]; c.DataType != "bigint" || c.DBType != "BIGINT" {
		t.Fatalf("total_usage: %+v", c)
	}
	for _, want := range []string{"resource_catalog: the root table of resource resource_catalog, merge on id.",
		"Child tables: resource_catalog__collections, ", "| column | data_type | db_type | nullable | note |",
		"| updated_at | timestamp | TIMESTAMP WITH TIME ZONE | yes | - |", "| _dlt_id | text | VARCHAR | no | - |"} {
		if !strings.Contains(text(res), want) {
			t.Errorf("the text does not say %q:\n%s", want, text(res))
		}
	}

	out = GetTableSchemaOut{}
	res = call(t, schema, map[string]any{"table": "resource_catalog__tags"})
	structured(t, res, &out)
	if out.Parent != "resource_catalog" || out.Join != "resource_catalog__tags._dlt_parent_id = resource_catalog._dlt_id" || out.RootJoin != "" ||
		len(out.Children) != 0 || out.Columns[0].Name != "value" {
		t.Fatalf("%+v", out)
	}
	if !strings.Contains(text(res), "a child table of resource_catalog (resource resource_catalog). Join: resource_catalog__tags._dlt_parent_id = resource_catalog._dlt_id.") {
		t.Fatalf("text:\n%s", text(res))
	}

	// dlt's system tables are described from DuckDB.
	out = GetTableSchemaOut{}
	res = call(t, schema, map[string]any{"table": "_dlt_loads"})
	structured(t, res, &out)
	if !out.System || out.Resource != "" || len(out.Columns) != 5 || out.Columns[0].Name != "load_id" || out.Columns[0].DBType != "VARCHAR" ||
		out.Columns[0].Nullable || out.Columns[2].Name != "status" || out.Columns[2].DataType != "bigint" || out.Columns[3].DataType != "timestamp" {
		t.Fatalf("_dlt_loads: %+v", out)
	}
	if !strings.Contains(text(res), "_dlt_loads: a system table") {
		t.Fatalf("text:\n%s", text(res))
	}

	wantError(t, call(t, schema, map[string]any{"table": "resource_catalogs"}), `table "resource_catalogs" is not in the dataset`,
		"did you mean resource_catalog?", "list_tables")
	wantError(t, call(t, schema, map[string]any{"table": `resource_catalog" ; DROP TABLE resource_catalog; --`}), "is not in the dataset")
	structured(t, call(t, schema, map[string]any{"table": "resource_catalog"}), &out)
}

func TestGetTableSchemaBeforeAnyLoad(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	wantError(t, call(t, GetTableSchema(f.d), map[string]any{"table": "collection"}), "scaffold_config")
	f.config(t, "[resources.collection]\n")
	wantError(t, call(t, GetTableSchema(f.d), map[string]any{"table": "collection"}), "run_pipeline")
	f.config(t, "[resources.collections]\n")
	wantError(t, call(t, GetTableSchema(f.d), map[string]any{"table": "collection"}), "secoda_pipeline.toml:4:12", "did you mean collection?", "validate_config")
}

func TestSQLNamesAreQuotedOnlyWhenTheyMustBe(t *testing.T) {
	for name, want := range map[string]string{
		"resource_catalog__tags": "resource_catalog__tags",
		"group":                  `"group"`, // a resource of the catalog, and a DuckDB keyword
		"user":                   "user",
		"Odd Name":               `"Odd Name"`,
		`a"b`:                    `"a""b"`,
		"1st":                    `"1st"`,
	} {
		if got := sqlName(name); got != want {
			t.Errorf("sqlName(%q) = %s, want %s", name, got, want)
		}
	}
}

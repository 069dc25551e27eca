package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// ExportSchemaIn is export_schema's input.
type ExportSchemaIn struct {
	Format string `json:"format,omitempty" jsonschema:"mermaid (an erDiagram, the default), dbml, or json (the stored schema)"`
}

// ExportSchemaOut is export_schema's result.
type ExportSchemaOut struct {
	Format    string `json:"format"`
	Schema    string `json:"schema" jsonschema:"the schema in that format"`
	Tables    int    `json:"tables" jsonschema:"how many tables it describes"`
	Truncated bool   `json:"truncated" jsonschema:"the text was cut at the bound of a tool's text (16 kB); get_table_schema gives each table in full"`
	// Omitted are the tables a JSON schema past the bound leaves out, whole.
	Omitted []string `json:"omitted,omitempty" jsonschema:"json only: the tables left out, whole, to keep within 16 kB (the JSON stays valid); get_table_schema gives each"`
}

// ExportSchema writes the dataset's schema as a diagram, DBML or JSON.
func ExportSchema(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[ExportSchemaIn, ExportSchemaOut]("export_schema",
			"Export the loaded dataset's schema (every data table with its columns and types, and how child tables hang from their "+
				"parents) as a Mermaid erDiagram (default), DBML (Ref: child._dlt_parent_id > parent._dlt_id), or the stored schema "+
				"as JSON. Cut at 16 kB; get_table_schema gives one table in full.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in ExportSchemaIn) (ExportSchemaOut, string, error) {
			format := in.Format
			if format == "" {
				format = "mermaid"
			}
			if format != "mermaid" && format != "dbml" && format != "json" {
				return ExportSchemaOut{}, "", fmt.Errorf("format %s: use mermaid, dbml or json", shown(in.Format))
			}
			ds, err := d.dataset(ctx)
			if err != nil {
				return ExportSchemaOut{}, "", err
			}
			plan := ds.plan
			schema, err := ds.storedSchema(ctx)
			if err != nil {
				return ExportSchemaOut{}, "", err
			}
			out := exportSchema(schema, format, plan.DatasetName)
			return out, out.Schema, nil
		}),
	}
}

// SchemaMermaid is the loaded dataset's schema as a Mermaid erDiagram, whole: what the
// MCP server's schema resource shows. No config or nothing loaded is an error saying
// what to do.
func SchemaMermaid(ctx context.Context, d *Deps) (string, error) {
	ds, err := d.dataset(ctx)
	if err != nil {
		return "", err
	}
	schema, err := ds.storedSchema(ctx)
	if err != nil {
		return "", err
	}
	return mermaidSchema(schema), nil
}

// schemaCutNote ends a schema cut at MaxText.
var schemaCutNote = fmt.Sprintf("\n(cut at %d kB; get_table_schema gives each table in full)\n", MaxText>>10)

// exportSchema writes the schema in a format, cut at MaxText.
func exportSchema(schema *normalize.Schema, format, dataset string) ExportSchemaOut {
	var text string
	switch format {
	case "mermaid":
		text = mermaidSchema(schema)
	case "dbml":
		text = dbmlSchema(schema, dataset)
	default:
		// dlt's stored form, compact (indenting would double its size), of whole
		// tables: a JSON cut in the middle would not parse.
		b, omitted := schema.JSONWithin(MaxText)
		return ExportSchemaOut{Format: format, Schema: string(b), Tables: len(schema.Tables) - len(omitted), Truncated: len(omitted) > 0, Omitted: omitted}
	}
	out := ExportSchemaOut{Format: format, Schema: text, Tables: len(schema.Tables)}
	if len(text) > MaxText {
		out.Schema, out.Truncated = cutText(text, MaxText-len(schemaCutNote))+schemaCutNote, true
	}
	return out
}

// mermaidSchema is the schema as a Mermaid erDiagram: each table with its columns
// (type, then name; PK, FK and UK marked), then parent ||--o{ child for each list.
func mermaidSchema(s *normalize.Schema) string {
	var b strings.Builder
	b.WriteString("erDiagram\n")
	names := s.TableNames()
	for _, name := range names {
		t := s.Tables[name]
		fmt.Fprintf(&b, "    %s {\n", name)
		for _, c := range t.Columns {
			fmt.Fprintf(&b, "        %s %s", c.Type, c.Name)
			if k := columnKey(t, c); k != "" {
				b.WriteString(" " + k)
			}
			b.WriteString("\n")
		}
		b.WriteString("    }\n")
	}
	for _, name := range names {
		if t := s.Tables[name]; t.Parent != "" {
			fmt.Fprintf(&b, "    %s ||--o{ %s : %q\n", t.Parent, name, normalize.ColParentID)
		}
	}
	return b.String()
}

// columnKey is a column's key mark: the root's primary key and a child's _dlt_id are
// PK, a child's _dlt_parent_id FK, a root's _dlt_id UK.
func columnKey(t *normalize.Table, c *normalize.Column) string {
	switch {
	case t.Parent == "" && t.PrimaryKey != "" && c.Name == t.PrimaryKey:
		return "PK"
	case c.Name == normalize.ColID && (t.Parent != "" || t.PrimaryKey == ""):
		return "PK"
	case c.Name == normalize.ColID:
		return "UK"
	case c.Name == normalize.ColParentID:
		return "FK"
	}
	return ""
}

// dbmlSchema is the schema as DBML: a Table block per table, a Ref per list.
func dbmlSchema(s *normalize.Schema, dataset string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Project %s {\n  database_type: 'DuckDB'\n  Note: 'dlt layout of the Secoda workspace; child._dlt_parent_id = parent._dlt_id'\n}\n", dbmlName(dataset))
	names := s.TableNames()
	for _, name := range names {
		t := s.Tables[name]
		fmt.Fprintf(&b, "\nTable %s {\n", dbmlName(name))
		for _, c := range t.Columns {
			var settings []string
			switch columnKey(t, c) {
			case "PK":
				settings = append(settings, "pk")
			case "UK":
				settings = append(settings, "unique")
			}
			if !c.Nullable {
				settings = append(settings, "not null")
			}
			if c.Variant {
				settings = append(settings, fmt.Sprintf("note: 'variant of %s'", c.VariantOf))
			}
			fmt.Fprintf(&b, "  %s %s", dbmlName(c.Name), c.Type)
			if len(settings) > 0 {
				b.WriteString(" [" + strings.Join(settings, ", ") + "]")
			}
			b.WriteString("\n")
		}
		note := "resource " + t.Resource
		if t.Disposition != "" {
			note += ", " + t.Disposition
		}
		if t.Parent != "" {
			note += ", child of " + t.Parent
		}
		fmt.Fprintf(&b, "  Note: '%s'\n}\n", note)
	}
	var refs []string
	for _, name := range names {
		if t := s.Tables[name]; t.Parent != "" {
			refs = append(refs, fmt.Sprintf("Ref: %s.%s > %s.%s", dbmlName(name), normalize.ColParentID, dbmlName(t.Parent), normalize.ColID))
		}
	}
	if len(refs) > 0 {
		b.WriteString("\n" + strings.Join(refs, "\n") + "\n")
	}
	return b.String()
}

// dbmlName quotes a name DBML would not take bare, or would read as a keyword.
func dbmlName(s string) string {
	switch strings.ToLower(s) {
	case "table", "ref", "note", "project", "enum", "indexes", "tablegroup", "as":
	default:
		if bareName(s) {
			return s
		}
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

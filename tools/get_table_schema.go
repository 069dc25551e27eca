package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/internal/table"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// GetTableSchemaIn is get_table_schema's input.
type GetTableSchemaIn struct {
	Table string `json:"table" jsonschema:"a table of the dataset, as list_tables names it"`
}

// GetTableSchemaOut is get_table_schema's result.
type GetTableSchemaOut struct {
	Name             string       `json:"name"`
	System           bool         `json:"system" jsonschema:"one of dlt's system tables or the run log"`
	Resource         string       `json:"resource,omitempty"`
	Parent           string       `json:"parent,omitempty"`
	Children         []string     `json:"children" jsonschema:"the child tables of its lists"`
	Disposition      string       `json:"write_disposition,omitempty"`
	PrimaryKey       string       `json:"primary_key,omitempty"`
	Join             string       `json:"join,omitempty" jsonschema:"how a child table joins its parent"`
	RootJoin         string       `json:"root_join,omitempty" jsonschema:"how a nested child table joins its root table directly (merge resources)"`
	Columns          []ColumnInfo `json:"columns"`
	ColumnsTruncated bool         `json:"columns_truncated,omitempty" jsonschema:"more columns than listed (500)"`
	Next             string       `json:"next"`
}

// GetTableSchema describes one table: columns, types, parent, children and joins.
func GetTableSchema(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[GetTableSchemaIn, GetTableSchemaOut]("get_table_schema",
			"Describe one table of the dataset: its columns (dlt's data type and the database's, nullable, variant columns <col>__v_<type> "+
				"and the column they stand beside), its parent and child tables with the join (child._dlt_parent_id = parent._dlt_id), "+
				"its write disposition and primary key. dlt's system tables (_dlt_loads, ...) work too.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in GetTableSchemaIn) (GetTableSchemaOut, string, error) {
			ds, err := d.dataset(ctx)
			if err != nil {
				return GetTableSchemaOut{}, "", err
			}
			schema, err := ds.storedSchema(ctx)
			if err != nil {
				return GetTableSchemaOut{}, "", err
			}
			tables, err := ds.tables(ctx)
			if err != nil {
				return GetTableSchemaOut{}, "", err
			}
			if !slices.Contains(tables, in.Table) {
				return GetTableSchemaOut{}, "", unknownTable(in.Table, tables)
			}
			dbCols, err := ds.tableColumns(ctx, in.Table)
			if err != nil {
				return GetTableSchemaOut{}, "", err
			}
			out := describeTable(schema, in.Table, dbCols)
			return out, tableSchemaText(out), nil
		}),
	}
}

// dbColumn is a column as the database's information_schema has it.
type dbColumn struct {
	name, typ string
	nullable  bool
}

// tableColumns lists a table's columns in the database, in order. The name must be one of
// datasetTables'.
func (ds *dataset) tableColumns(ctx context.Context, name string) ([]dbColumn, error) {
	plan := ds.plan
	res, err := ds.dest.Query(ctx, "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = "+
		sqlLiteral(plan.DatasetName)+" AND table_name = "+sqlLiteral(name)+" ORDER BY ordinal_position", catalogBounds)
	if err != nil {
		return nil, err
	}
	out := make([]dbColumn, 0, len(res.Rows))
	for _, r := range res.Rows {
		c := dbColumn{}
		c.name, _ = r[0].(string)
		c.typ, _ = r[1].(string)
		nullable, _ := r[2].(string)
		c.nullable = nullable == "YES"
		out = append(out, c)
	}
	return out, nil
}

// describeTable joins what the stored schema says of a table with what the database
// says; a table the schema does not know (a system table) is the database's alone.
func describeTable(schema *normalize.Schema, name string, dbCols []dbColumn) GetTableSchemaOut {
	out := GetTableSchemaOut{Name: name, System: systemTable(name), Children: []string{}, Columns: []ColumnInfo{}}
	t := schema.Tables[name]
	if t == nil {
		for i, c := range dbCols {
			if i == MaxColumnsListed {
				out.ColumnsTruncated = true
				break
			}
			out.Columns = append(out.Columns, ColumnInfo{Name: c.name, DataType: dlType(c.typ), DBType: c.typ, Nullable: c.nullable})
		}
		out.Next = "preview_table for its rows; list_tables for the data tables."
		return out
	}
	out.Resource, out.Parent, out.Disposition, out.PrimaryKey = t.Resource, t.Parent, t.Disposition, t.PrimaryKey
	for _, n := range schema.TableNames() {
		if schema.Tables[n].Parent == name {
			out.Children = append(out.Children, n)
		}
	}
	if t.Parent != "" {
		out.Join = fmt.Sprintf("%s.%s = %s.%s", sqlName(name), normalize.ColParentID, sqlName(t.Parent), normalize.ColID)
		root := t.Parent
		for p := schema.Tables[root]; p != nil && p.Parent != ""; p = schema.Tables[root] {
			root = p.Parent
		}
		if c, _ := t.Column(normalize.ColRootID); c != nil && root != t.Parent {
			out.RootJoin = fmt.Sprintf("%s.%s = %s.%s", sqlName(name), normalize.ColRootID, sqlName(root), normalize.ColID)
		}
	}
	duck := map[string]dbColumn{}
	for _, c := range dbCols {
		duck[c.name] = c
	}
	for i, c := range t.Columns {
		if i == MaxColumnsListed {
			out.ColumnsTruncated = true
			break
		}
		ci := ColumnInfo{Name: c.Name, DataType: string(c.Type), Nullable: c.Nullable, Variant: c.Variant, VariantOf: c.VariantOf}
		if dc, ok := duck[c.Name]; ok {
			ci.DBType, ci.Nullable = dc.typ, dc.nullable
		}
		out.Columns = append(out.Columns, ci)
	}
	out.Next = "preview_table for its rows; query_dataset for SQL"
	if len(out.Children) > 0 {
		out.Next += fmt.Sprintf("; get_table_schema of %s for its lists", out.Children[0])
	}
	out.Next += "."
	return out
}

// sqlName is a name as a query would write it: quoted only when it must be.
func sqlName(s string) string {
	if bareName(s) && !duckdbReserved[s] {
		return s
	}
	return sqlIdent(s)
}

// bareName reports whether s is lowercase letters, digits and underscores, not
// starting with a digit: a name SQL and DBML take unquoted, keywords aside.
func bareName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// duckdbReserved are DuckDB's reserved keywords (duckdb_keywords(), category
// reserved): a table or column with such a name (group, order) must be quoted.
var duckdbReserved = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`all analyse analyze and any array as asc asymmetric both case cast check collate column
		constraint create default deferrable desc describe distinct do else end except false fetch for foreign from group
		having in initially intersect into lambda lateral leading limit not null offset on only or order pivot pivot_longer
		pivot_wider placing primary qualify references returning select show some summarize symmetric table then to trailing
		true union unique unpivot using variadic when where window with`) {
		m[k] = true
	}
	return m
}()

// dlType is dlt's name for a DuckDB or PostgreSQL type, for tables the stored schema
// does not hold.
func dlType(db string) string {
	duck := strings.ToUpper(db)
	switch {
	case duck == "CHARACTER VARYING" || duck == "TEXT":
		return string(normalize.Text)
	case duck == "DOUBLE PRECISION" || duck == "REAL" || duck == "NUMERIC":
		return string(normalize.Double)
	case duck == "JSONB":
		return string(normalize.JSON)
	case duck == "BIGINT" || duck == "INTEGER" || duck == "SMALLINT" || duck == "TINYINT" || duck == "HUGEINT" || strings.HasPrefix(duck, "UBIGINT"):
		return string(normalize.BigInt)
	case duck == "DOUBLE" || duck == "FLOAT" || strings.HasPrefix(duck, "DECIMAL"):
		return string(normalize.Double)
	case duck == "BOOLEAN":
		return string(normalize.Bool)
	case strings.HasPrefix(duck, "TIMESTAMP"):
		return string(normalize.Timestamp)
	case duck == "JSON" || strings.HasSuffix(duck, "[]") || strings.HasPrefix(duck, "STRUCT") || strings.HasPrefix(duck, "MAP"):
		return string(normalize.JSON)
	}
	return string(normalize.Text)
}

func tableSchemaText(out GetTableSchemaOut) string {
	var b strings.Builder
	switch {
	case out.System:
		fmt.Fprintf(&b, "%s: a system table (dlt's, or the run log).\n", out.Name)
	case out.Parent == "":
		fmt.Fprintf(&b, "%s: the root table of resource %s, %s", out.Name, out.Resource, out.Disposition)
		if out.PrimaryKey != "" {
			fmt.Fprintf(&b, " on %s", out.PrimaryKey)
		}
		b.WriteString(".\n")
	default:
		fmt.Fprintf(&b, "%s: a child table of %s (resource %s). Join: %s", out.Name, out.Parent, out.Resource, out.Join)
		if out.RootJoin != "" {
			fmt.Fprintf(&b, "; to the root: %s", out.RootJoin)
		}
		b.WriteString(".\n")
	}
	if len(out.Children) > 0 {
		fmt.Fprintf(&b, "Child tables: %s (each joins on child._dlt_parent_id = %s._dlt_id).\n", strings.Join(out.Children, ", "), sqlName(out.Name))
	}
	b.WriteString("\n")
	cells := make([][]any, 0, len(out.Columns))
	for _, c := range out.Columns {
		note := ""
		if c.Variant {
			note = "variant of " + c.VariantOf
		}
		nullable := "no"
		if c.Nullable {
			nullable = "yes"
		}
		cells = append(cells, []any{c.Name, c.DataType, orDash(c.DBType), nullable, orDash(note)})
	}
	b.WriteString(table.Markdown([]string{"column", "data_type", "db_type", "nullable", "note"}, cells, 120))
	if out.ColumnsTruncated {
		fmt.Fprintf(&b, "(the first %d columns; query_dataset with DESCRIBE %s lists them all)\n", MaxColumnsListed, sqlName(out.Name))
	}
	b.WriteString("\nNext: " + out.Next + "\n")
	return b.String()
}

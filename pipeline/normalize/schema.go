package normalize

import (
	"slices"
	"sort"
)

// The system columns dlt adds, with the names its users query.
const (
	ColLoadID   = "_dlt_load_id"
	ColID       = "_dlt_id"
	ColParentID = "_dlt_parent_id"
	ColListIdx  = "_dlt_list_idx"
	ColRootID   = "_dlt_root_id"
	ColValue    = "value" // a list of scalars' items
)

// SchemaName is the name the schema is stored under: the source's name in dlt's docs
// (`@dlt.source def secoda_source`), so that a dataset either tool writes is the
// other's.
const SchemaName = "secoda_source"

// EngineVersion is the engine version of the list form this program stored before it
// wrote dlt's (ParseSchema reads both).
const EngineVersion = 1

// Schema is every table a pipeline has loaded, with its columns and types: what the
// normalizer evolves and the destination mirrors.
type Schema struct {
	Name          string            `json:"name"`
	Version       int               `json:"version"`
	EngineVersion int               `json:"engine_version"`
	Tables        map[string]*Table `json:"tables"`
	// PreviousHashes are the version hashes of earlier versions, newest first, as dlt
	// keeps them (at most 10).
	PreviousHashes []string `json:"-"`
	// storedHash is the version hash the schema was read with ("" for the list form).
	storedHash string
}

// Table is one table: a resource's root table, or a child table of a list.
type Table struct {
	Name        string `json:"name"`
	Parent      string `json:"parent,omitempty"` // "" for a root table
	Resource    string `json:"resource"`         // the root table's resource
	Disposition string `json:"write_disposition,omitempty"`
	PrimaryKey  string `json:"primary_key,omitempty"`
	// Cursor is the root table's incremental cursor column, dlt's incremental hint.
	Cursor  string    `json:"-"`
	Columns []*Column `json:"columns"`

	index map[string]int
}

// Column is one column of a table.
type Column struct {
	Name     string   `json:"name"`
	Type     DataType `json:"data_type"`
	Nullable bool     `json:"nullable"`
	// Variant is true for a <col>__v_<type> column that takes values of another type.
	Variant bool `json:"variant,omitempty"`
	// VariantOf is the column a variant column stands beside.
	VariantOf string `json:"variant_of,omitempty"`
}

// NewSchema is an empty schema.
func NewSchema() *Schema {
	return &Schema{Name: SchemaName, EngineVersion: DltEngineVersion, Tables: map[string]*Table{}}
}

// TableNames lists the tables, parents before their children, then by name.
func (s *Schema) TableNames() []string {
	names := make([]string, 0, len(s.Tables))
	for n := range s.Tables {
		names = append(names, n)
	}
	depth := func(n string) int {
		d := 0
		for t := s.Tables[n]; t != nil && t.Parent != ""; t = s.Tables[t.Parent] {
			d++
		}
		return d
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := s.Tables[names[i]].Resource, s.Tables[names[j]].Resource
		if ri != rj {
			return ri < rj
		}
		if di, dj := depth(names[i]), depth(names[j]); di != dj {
			return di < dj
		}
		return names[i] < names[j]
	})
	return names
}

// ResourceTables lists a resource's tables, root first.
func (s *Schema) ResourceTables(resource string) []*Table {
	var out []*Table
	for _, n := range s.TableNames() {
		if t := s.Tables[n]; t.Resource == resource {
			out = append(out, t)
		}
	}
	return out
}

// Clone copies the schema deeply.
func (s *Schema) Clone() *Schema {
	c := &Schema{Name: s.Name, Version: s.Version, EngineVersion: s.EngineVersion, Tables: make(map[string]*Table, len(s.Tables)),
		PreviousHashes: slices.Clone(s.PreviousHashes), storedHash: s.storedHash}
	for n, t := range s.Tables {
		c.Tables[n] = t.Clone()
	}
	return c
}

// DropResource removes a resource's tables (for --full-refresh).
func (s *Schema) DropResource(resource string) {
	for n, t := range s.Tables {
		if t.Resource == resource {
			delete(s.Tables, n)
		}
	}
}

// Clone copies the table deeply.
func (t *Table) Clone() *Table {
	c := *t
	c.Columns = make([]*Column, len(t.Columns))
	for i, col := range t.Columns {
		cc := *col
		c.Columns[i] = &cc
	}
	c.reindex()
	return &c
}

func (t *Table) reindex() {
	t.index = make(map[string]int, len(t.Columns))
	for i, c := range t.Columns {
		t.index[c.Name] = i
	}
}

// Column finds a column and its position.
func (t *Table) Column(name string) (*Column, int) {
	if t.index == nil {
		t.reindex()
	}
	i, ok := t.index[name]
	if !ok {
		return nil, -1
	}
	return t.Columns[i], i
}

// AddColumn appends a column and returns its position.
func (t *Table) AddColumn(c *Column) int {
	if t.index == nil {
		t.reindex()
	}
	t.Columns = append(t.Columns, c)
	t.index[c.Name] = len(t.Columns) - 1
	return len(t.Columns) - 1
}

// ColumnNames lists the columns in order.
func (t *Table) ColumnNames() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// Merge folds the tables of another schema (a run's view of some resources) into s:
// new tables are added, new columns appended. It reports whether anything changed.
func (s *Schema) Merge(o *Schema) bool {
	changed := false
	for _, name := range o.TableNames() {
		ot := o.Tables[name]
		t, ok := s.Tables[name]
		if !ok {
			s.Tables[name] = ot.Clone()
			changed = true
			continue
		}
		for _, c := range ot.Columns {
			if existing, _ := t.Column(c.Name); existing == nil {
				cc := *c
				t.AddColumn(&cc)
				changed = true
			}
		}
		if t.Disposition != ot.Disposition || t.PrimaryKey != ot.PrimaryKey || t.Cursor != ot.Cursor {
			t.Disposition, t.PrimaryKey, t.Cursor = ot.Disposition, ot.PrimaryKey, ot.Cursor
			changed = true
		}
	}
	return changed
}

// Equal reports whether two tables have the same columns in the same order.
func (t *Table) Equal(o *Table) bool {
	return slices.EqualFunc(t.Columns, o.Columns, func(a, b *Column) bool { return *a == *b })
}

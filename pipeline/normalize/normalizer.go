package normalize

import (
	"crypto/rand"
	"crypto/sha3"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"
)

// Sink receives normalized rows. cells[i] is the table's column i; a row may be shorter
// than the table when columns were added after it. cells is reused once Row returns.
type Sink interface {
	Row(t *Table, cells []Cell) error
}

// Options configure the normalizer of one resource.
type Options struct {
	Resource    string // the root table
	Disposition string // append, replace or merge
	PrimaryKey  string // the root table's key column (normalized name); needed by merge
	Cursor      string // the root table's incremental cursor column (normalized name), or ""
	Contract    Contract
	// MaxNesting is how deep nested objects flatten and lists become child tables;
	// deeper values are kept as json (dlt's max_table_nesting).
	MaxNesting int
	LoadID     string
	// MaxIdentifierLength shortens names past it; 0 for none (DuckDB).
	MaxIdentifierLength int
}

// DefaultMaxNesting is dlt's.
const DefaultMaxNesting = 1000

// idBytes is the length of a _dlt_id before base64, as dlt's DLT_ID_LENGTH_BYTES.
const idBytes = 10

// Stats counts what a normalizer did.
type Stats struct {
	Records         int64
	Rows            map[string]int64 // per table
	NewTables       []string
	NewColumns      []string // table.column
	VariantColumns  []string // table.column
	DiscardedRows   int64
	DiscardedValues int64
	// Collisions are fields of one record whose names normalize to one column (Foo,
	// foo, "FOO "): the last one's value is kept, as dlt keeps it, and the others are
	// counted here, never dropped unsaid.
	Collisions []Collision
}

// Collision is two or more fields of a record that become one column, or one child
// table, of a table.
type Collision struct {
	Table  string `json:"table"`
	Column string `json:"column"` // or the child table, for lists
	// Fields name the fields as the records do (a.B for B inside a), at most
	// maxCollisionFields of them.
	Fields []string `json:"fields"`
	// Dropped counts the values (or lists) that a later field of the same record
	// replaced.
	Dropped int64 `json:"dropped"`
}

// Bounds of what Stats keeps of collisions: a pathological source could name fields
// without end.
const (
	maxCollisions      = 100
	maxCollisionFields = 8
)

// ContractError is a record that a frozen schema contract refused.
type ContractError struct {
	Resource, Table, Column string
	What                    string // "table", "column" or "data_type"
	Detail                  string
}

func (e *ContractError) Error() string {
	where := e.Table
	if e.Column != "" {
		where += "." + e.Column
	}
	return fmt.Sprintf("resource %s: schema contract %s=freeze refuses %s (%s); set schema_contract for [resources.%s] in secoda_pipeline.toml to evolve, discard_row or discard_value to let it through",
		e.Resource, contractKey(e.What), where, e.Detail, e.Resource)
}

func contractKey(what string) string {
	switch what {
	case "table":
		return "tables"
	case "column":
		return "columns"
	}
	return "data_type"
}

// Normalizer turns one resource's JSON records into rows of its root table and child
// tables, in dlt's layout, evolving its own copy of the resource's tables. It is not
// safe for concurrent use; each resource gets its own.
type Normalizer struct {
	opt      Options
	tables   map[string]*Table
	existing map[string]bool // tables the stored schema had: contracts apply to them
	nodes    map[string]*pathNode
	sink     Sink
	rng      *mrand.ChaCha8
	bufs     map[*Table][]Cell
	stats    Stats
	hashBuf  []byte
	encBuf   []byte
	shake    *sha3.SHAKE
}

// pathNode caches, per table, what a nested key becomes: its column name and position,
// and, for a list, its child table, so that a million records do not rebuild names.
type pathNode struct {
	name     string // column name: normalized, joined with __
	field    string // the field as the record names it, a.B for B inside a
	col      int    // position in the table, -1 until the column exists
	variants map[DataType]int
	children map[string]*pathNode
	parts    []string // the normalized path, for child table names
}

// New makes the normalizer of one resource. stored is the schema before this run (nil
// for none); the normalizer works on a copy of the resource's tables.
func New(stored *Schema, opt Options, sink Sink) *Normalizer {
	if opt.MaxNesting < 0 {
		opt.MaxNesting = 0
	}
	if opt.Contract == (Contract{}) {
		opt.Contract = EvolveAll
	}
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	n := &Normalizer{
		opt:      opt,
		tables:   map[string]*Table{},
		existing: map[string]bool{},
		nodes:    map[string]*pathNode{},
		sink:     sink,
		rng:      mrand.NewChaCha8(seed),
		bufs:     map[*Table][]Cell{},
		stats:    Stats{Rows: map[string]int64{}},
	}
	if stored != nil {
		for _, t := range stored.ResourceTables(opt.Resource) {
			n.tables[t.Name] = t.Clone()
			n.existing[t.Name] = true
		}
	}
	return n
}

// Resume makes the normalizer of a resource that an interrupted run had begun: its
// tables as they stood at the run's last checkpoint (run), and its counts then.
func Resume(stored, run *Schema, stats Stats, opt Options, sink Sink) *Normalizer {
	n := New(stored, opt, sink)
	if run != nil {
		for name, t := range run.Tables {
			n.tables[name] = t.Clone()
		}
	}
	if stats.Rows == nil {
		stats.Rows = map[string]int64{}
	}
	n.stats = stats
	return n
}

// Changes grows with every table and column the normalizer adds, so a checkpoint
// writes the schema again only when it changed.
func (n *Normalizer) Changes() int {
	c := len(n.tables)
	for _, t := range n.tables {
		c += len(t.Columns)
	}
	return c
}

// Schema is the resource's tables as they stand, in a schema of their own.
func (n *Normalizer) Schema() *Schema {
	s := NewSchema()
	for name, t := range n.tables {
		s.Tables[name] = t
	}
	return s
}

// Stats reports what the normalizer did so far.
func (n *Normalizer) Stats() Stats { return n.stats }

// Record normalizes one record: its root row, then its child rows.
func (n *Normalizer) Record(v jsonv.Value) error {
	if v.Kind != jsonv.KindObject {
		v = jsonv.Value{Kind: jsonv.KindObject, Fields: []jsonv.Field{{Key: ColValue, Value: v}}}
	}
	root := n.table(n.opt.Resource, "")
	n.stats.Records++
	_, err := n.row(root, v, 0, "", "", 0)
	return err
}

// table finds or creates a table; nil when the contract discards it. A root table may
// always be created: a frozen contract starts from the first load.
func (n *Normalizer) table(name, parent string) *Table {
	if t, ok := n.tables[name]; ok {
		return t
	}
	if parent != "" && n.existing[n.opt.Resource] && n.opt.Contract.Tables != Evolve {
		return nil
	}
	t := &Table{Name: name, Parent: parent, Resource: n.opt.Resource}
	if parent == "" {
		t.Disposition, t.PrimaryKey, t.Cursor = n.opt.Disposition, n.opt.PrimaryKey, n.opt.Cursor
	}
	t.reindex()
	n.tables[name] = t
	n.stats.NewTables = append(n.stats.NewTables, name)
	return t
}

// listRef is a list found while flattening a row, to become child rows after it.
type listRef struct {
	node  *pathNode
	items []jsonv.Value
}

// rowState is one row being built.
type rowState struct {
	t       *Table
	cells   []Cell
	discard bool
	lists   []listRef
}

// addList sets a list aside for child rows. A list of another field of the record
// that becomes the same child table is replaced, as dlt replaces it, and counted.
func (rs *rowState) addList(n *Normalizer, l listRef) {
	for i, o := range rs.lists {
		if o.node.name == l.node.name {
			n.collide(rs.t.Name, Path(n.opt.MaxIdentifierLength, append([]string{rs.t.Name}, l.node.parts...)...), o.node.field, l.node.field)
			rs.lists[i] = l
			return
		}
	}
	rs.lists = append(rs.lists, l)
}

// setCell puts a value into a cell of the row; a cell another field of the record has
// set already is a collision: the later value is kept, as dlt keeps it.
func (n *Normalizer) setCell(rs *rowState, i int, node *pathNode, c Cell) {
	if !rs.cells[i].Null() {
		n.collide(rs.t.Name, rs.t.Columns[i].Name, n.fieldsOf(rs.t.Name, i, node)...)
	}
	rs.cells[i] = c
}

// fieldsOf names the fields that go to column i of a table: node's and those of the
// other nodes of the table at i. Only a collision asks, so the walk is rare.
func (n *Normalizer) fieldsOf(table string, i int, node *pathNode) []string {
	var out []string
	var walk func(p *pathNode)
	walk = func(p *pathNode) {
		hit := p.col == i
		for _, vi := range p.variants {
			hit = hit || vi == i
		}
		if hit && p != node && p.field != "" {
			out = append(out, p.field)
		}
		for _, c := range p.children {
			walk(c)
		}
	}
	walk(n.node(table))
	sort.Strings(out)
	return append(out, node.field)
}

// collide counts a value that a later field of the same record replaced.
func (n *Normalizer) collide(table, column string, fields ...string) {
	for i := range n.stats.Collisions {
		c := &n.stats.Collisions[i]
		if c.Table == table && c.Column == column {
			c.Dropped++
			for _, f := range fields {
				if !slices.Contains(c.Fields, f) && len(c.Fields) < maxCollisionFields {
					c.Fields = append(c.Fields, f)
				}
			}
			return
		}
	}
	if len(n.stats.Collisions) == maxCollisions {
		n.stats.Collisions[maxCollisions-1].Dropped++ // the last entry stands for the rest
		return
	}
	n.stats.Collisions = append(n.stats.Collisions, Collision{Table: table, Column: column, Fields: fields[:min(len(fields), maxCollisionFields)], Dropped: 1})
}

// row normalizes one object into a row of t and its lists into child rows. It returns
// the row's _dlt_id, or "" when the row was discarded.
func (n *Normalizer) row(t *Table, obj jsonv.Value, level int, parentID, rootID string, idx int) (string, error) {
	rs := rowState{t: t, cells: n.cells(t)}
	if err := n.flatten(&rs, n.node(t.Name), obj, level); err != nil {
		return "", err
	}
	if rs.discard {
		n.stats.DiscardedRows++
		n.bufs[t] = rs.cells[:0]
		return "", nil
	}
	var id string
	if parentID == "" {
		n.setSystem(&rs, ColLoadID, textCell(n.opt.LoadID))
		id = n.randomID()
		n.setSystem(&rs, ColID, textCell(id))
		rootID = id
		if n.opt.Disposition == "merge" && n.opt.PrimaryKey != "" {
			if _, i := t.Column(n.opt.PrimaryKey); i < 0 || i >= len(rs.cells) || rs.cells[i].Null() {
				return "", fmt.Errorf("resource %s: record %d has no primary key %s, which merge needs: set primary_key to a field every record has, or write_disposition = \"append\"",
					n.opt.Resource, n.stats.Records, n.opt.PrimaryKey)
			}
		}
	} else {
		if n.opt.Disposition == "merge" {
			n.setSystem(&rs, ColRootID, textCell(rootID))
		}
		n.setSystem(&rs, ColParentID, textCell(parentID))
		n.setSystem(&rs, ColListIdx, bigintCell(int64(idx)))
		id = n.childID(parentID, t.Name, idx)
		n.setSystem(&rs, ColID, textCell(id))
	}
	if err := n.sink.Row(t, rs.cells); err != nil {
		return "", err
	}
	n.stats.Rows[t.Name]++
	n.bufs[t] = rs.cells[:0]
	for _, l := range rs.lists {
		if err := n.list(t, l, level+1, id, rootID); err != nil {
			return "", err
		}
	}
	return id, nil
}

// list turns a list's items into rows of the child table.
func (n *Normalizer) list(parent *Table, l listRef, level int, parentID, rootID string) error {
	child := n.table(Path(n.opt.MaxIdentifierLength, append([]string{parent.Name}, l.node.parts...)...), parent.Name)
	if child == nil {
		n.stats.DiscardedRows += int64(len(l.items))
		return nil
	}
	for i, item := range l.items {
		switch item.Kind {
		case jsonv.KindObject:
			if _, err := n.row(child, item, level, parentID, rootID, i); err != nil {
				return err
			}
		case jsonv.KindArray:
			// A list of lists goes through a row holding the inner list, as dlt does.
			mock := jsonv.Value{Kind: jsonv.KindObject, Fields: []jsonv.Field{{Key: "list", Value: item}}}
			if _, err := n.row(child, mock, level+1, parentID, rootID, i); err != nil {
				return err
			}
		default:
			mock := jsonv.Value{Kind: jsonv.KindObject, Fields: []jsonv.Field{{Key: ColValue, Value: item}}}
			if _, err := n.row(child, mock, level, parentID, rootID, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// flatten walks an object's fields into the row: scalars into columns, nested objects
// into __-joined columns, lists aside for child rows.
//
// An object's nested objects come after its own fields, the last first, each flattened
// the same way: the column order dlt 1.26 gives them (its reference schema has an
// integration's properties__* columns after its scalars and before its credentials__*,
// which come first in the record), as a stack of objects to flatten would.
func (n *Normalizer) flatten(rs *rowState, node *pathNode, obj jsonv.Value, level int) error {
	type nested struct {
		node *pathNode
		v    jsonv.Value
	}
	var later []nested
	for _, f := range obj.Fields {
		child := n.childNode(node, f.Key)
		v := f.Value
		switch v.Kind {
		case jsonv.KindNull:
			continue // a null adds no column; an existing column stays null
		case jsonv.KindObject, jsonv.KindArray:
			if level >= n.opt.MaxNesting {
				if err := n.set(rs, child, jsonCell(string(n.encode(v)))); err != nil {
					return err
				}
				continue
			}
			if v.Kind == jsonv.KindObject {
				later = append(later, nested{child, v})
			} else if len(v.Items) > 0 {
				rs.addList(n, listRef{node: child, items: v.Items})
			}
		default:
			c := scalarCell(v)
			if c.Null() {
				continue // "None": a null, as above
			}
			if err := n.set(rs, child, c); err != nil {
				return err
			}
		}
		if rs.discard {
			return nil
		}
	}
	for i := len(later) - 1; i >= 0; i-- {
		if err := n.flatten(rs, later[i].node, later[i].v, level+1); err != nil || rs.discard {
			return err
		}
	}
	return nil
}

// set puts a typed value into its column, adding the column, coercing the value or
// sending it to a variant column as the contract allows.
func (n *Normalizer) set(rs *rowState, node *pathNode, c Cell) error {
	t := rs.t
	if node.col < 0 {
		if col, i := t.Column(node.name); col != nil {
			node.col = i
		}
	}
	if node.col < 0 {
		if n.existing[t.Name] {
			switch n.opt.Contract.Columns {
			case Freeze:
				return &ContractError{Resource: n.opt.Resource, Table: t.Name, Column: node.name, What: "column", Detail: "a new column"}
			case DiscardRow:
				rs.discard = true
				return nil
			case DiscardValue:
				n.stats.DiscardedValues++
				return nil
			}
		}
		// A merge key is never null (a record without one is refused in row), and dlt
		// stores it as not nullable: NOT NULL in the table, as dlt creates it.
		key := t.Parent == "" && n.opt.Disposition == "merge" && node.name == n.opt.PrimaryKey
		node.col = n.addColumn(rs, &Column{Name: node.name, Type: c.Type, Nullable: !key})
		n.stats.NewColumns = append(n.stats.NewColumns, t.Name+"."+node.name)
	}
	col := t.Columns[node.col]
	if fitted, ok := coerce(c, col.Type); ok {
		n.setCell(rs, node.col, node, fitted)
		return nil
	}
	// The value does not fit: a variant column of its own type.
	if i, ok := node.variants[c.Type]; ok {
		n.setCell(rs, i, node, c)
		return nil
	}
	name := VariantColumn(node.name, c.Type, n.opt.MaxIdentifierLength)
	if vc, i := t.Column(name); vc != nil && vc.Type == c.Type {
		n.rememberVariant(node, c.Type, i)
		n.setCell(rs, i, node, c)
		return nil
	}
	switch n.opt.Contract.DataType {
	case Freeze:
		return &ContractError{Resource: n.opt.Resource, Table: t.Name, Column: node.name, What: "data_type",
			Detail: fmt.Sprintf("a %s value in a %s column", c.Type, col.Type)}
	case DiscardRow:
		rs.discard = true
		return nil
	case DiscardValue:
		n.stats.DiscardedValues++
		return nil
	}
	i := n.addColumn(rs, &Column{Name: name, Type: c.Type, Nullable: true, Variant: true, VariantOf: node.name})
	n.rememberVariant(node, c.Type, i)
	n.stats.VariantColumns = append(n.stats.VariantColumns, t.Name+"."+name)
	n.setCell(rs, i, node, c)
	return nil
}

func (n *Normalizer) rememberVariant(node *pathNode, t DataType, i int) {
	if node.variants == nil {
		node.variants = map[DataType]int{}
	}
	node.variants[t] = i
}

// setSystem sets one of dlt's columns, adding it on first use.
func (n *Normalizer) setSystem(rs *rowState, name string, c Cell) {
	col, i := rs.t.Column(name)
	if col == nil {
		i = n.addColumn(rs, &Column{Name: name, Type: c.Type})
	}
	rs.cells[i] = c
}

func (n *Normalizer) addColumn(rs *rowState, c *Column) int {
	i := rs.t.AddColumn(c)
	for len(rs.cells) <= i {
		rs.cells = append(rs.cells, Cell{})
	}
	return i
}

// cells is a cleared row buffer as long as the table.
func (n *Normalizer) cells(t *Table) []Cell {
	b := n.bufs[t]
	if cap(b) < len(t.Columns) {
		b = make([]Cell, len(t.Columns), len(t.Columns)+8)
	} else {
		b = b[:len(t.Columns)]
		clear(b)
	}
	n.bufs[t] = nil // in use; row() gives it back
	return b
}

func (n *Normalizer) node(table string) *pathNode {
	nd := n.nodes[table]
	if nd == nil {
		nd = &pathNode{col: -1}
		n.nodes[table] = nd
	}
	return nd
}

// childNode is the node of a key under a node, normalized once.
func (n *Normalizer) childNode(parent *pathNode, key string) *pathNode {
	if c, ok := parent.children[key]; ok {
		return c
	}
	if parent.children == nil {
		parent.children = map[string]*pathNode{}
	}
	norm := Identifier(key, n.opt.MaxIdentifierLength)
	parts := append(append([]string(nil), parent.parts...), norm)
	field := strings.Clone(key)
	if parent.field != "" {
		field = parent.field + "." + field
	}
	c := &pathNode{name: Path(n.opt.MaxIdentifierLength, parts...), field: field, col: -1, parts: parts}
	parent.children[strings.Clone(key)] = c // the key may share a page's bytes
	return c
}

// randomID is a root row's _dlt_id: 10 random bytes in base64, as dlt makes them.
func (n *Normalizer) randomID() string {
	var b [16]byte
	for i := 0; i < idBytes; i += 8 {
		v := n.rng.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return base64.RawStdEncoding.EncodeToString(b[:idBytes])
}

// childID is a child row's _dlt_id: dlt's digest128 of "<parent id>_<table>_<index>",
// so that reloading the same record gives the same child ids.
func (n *Normalizer) childID(parentID, table string, idx int) string {
	b := n.hashBuf[:0]
	b = append(b, parentID...)
	b = append(b, '_')
	b = append(b, table...)
	b = append(b, '_')
	b = strconv.AppendInt(b, int64(idx), 10)
	n.hashBuf = b
	if n.shake == nil {
		n.shake = sha3.NewSHAKE128()
	}
	return digest(n.shake, b)
}

// ChildRowID hashes as dlt's digest128(v, 10): SHAKE-128, 10 bytes, base64 unpadded.
func ChildRowID(material []byte) string { return digest(sha3.NewSHAKE128(), material) }

func digest(h *sha3.SHAKE, material []byte) string {
	var sum [idBytes]byte
	h.Reset()
	h.Write(material)
	h.Read(sum[:])
	return base64.RawStdEncoding.EncodeToString(sum[:])
}

// encode writes a jsonv.Value back as compact JSON, for json columns.
func (n *Normalizer) encode(v jsonv.Value) []byte {
	n.encBuf = jsonv.AppendJSON(n.encBuf[:0], v)
	return n.encBuf
}

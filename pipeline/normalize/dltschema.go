package normalize

import (
	"bytes"
	"cmp"
	"crypto/sha3"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The schema's stored form is dlt's (engine 11): what dlt writes into _dlt_version and
// reads back with Schema.from_dict, so that either tool can continue a dataset the
// other wrote. Tables are a dict by name; each table's columns a dict in column order,
// each column with the hints dlt sets (primary_key, incremental, unique, row_key,
// parent_key, root_key, variant); settings, normalizers and previous_hashes as dlt's
// rest_api source has them; version_hash as dlt computes it (VersionHash).
// ParseSchema also reads the form of engine 1, a list of columns, that this program
// wrote before; the next load writes it again in dlt's form.

// DltEngineVersion is the engine version of dlt's stored schema that we write.
const DltEngineVersion = 11

// LegacySchemaName is the name this program stored its schema under before it took
// dlt's source name; a dataset with it is carried over to SchemaName.
const LegacySchemaName = "secoda"

// maxPreviousHashes is how many earlier version hashes dlt keeps.
const maxPreviousHashes = 10

// The system tables dlt keeps in its schema, as it describes them (the dataset's
// _workbench_runs is ours and stays out of dlt's schema).
var dltSystemTables = []struct {
	name  string
	table orderedObject
}{
	{"_dlt_version", orderedObject{{"name", "_dlt_version"}, {"columns", orderedObject{
		{"version", dltColumn("version", "bigint", false)},
		{"engine_version", dltColumn("engine_version", "bigint", false)},
		{"inserted_at", dltColumn("inserted_at", "timestamp", false)},
		{"schema_name", dltColumn("schema_name", "text", false)},
		{"version_hash", dltColumn("version_hash", "text", false)},
		{"schema", dltColumn("schema", "text", false)},
	}}, {"write_disposition", "skip"}, {"resource", "_dlt_version"}, {"description", "Created by DLT. Tracks schema updates"}}},
	{"_dlt_loads", orderedObject{{"name", "_dlt_loads"}, {"columns", orderedObject{
		{"load_id", append(dltColumn("load_id", "text", false), kv{"precision", 64})},
		{"schema_name", dltColumn("schema_name", "text", true)},
		{"status", dltColumn("status", "bigint", false)},
		{"inserted_at", dltColumn("inserted_at", "timestamp", false)},
		{"schema_version_hash", dltColumn("schema_version_hash", "text", true)},
	}}, {"write_disposition", "skip"}, {"resource", "_dlt_loads"}, {"description", "Created by DLT. Tracks completed loads"}}},
	{"_dlt_pipeline_state", orderedObject{{"columns", orderedObject{
		{"version", dltColumn("version", "bigint", false)},
		{"engine_version", dltColumn("engine_version", "bigint", false)},
		{"pipeline_name", dltColumn("pipeline_name", "text", false)},
		{"state", dltColumn("state", "text", false)},
		{"created_at", dltColumn("created_at", "timestamp", false)},
		{"version_hash", dltColumn("version_hash", "text", true)},
		{"_dlt_load_id", append(dltColumn("_dlt_load_id", "text", false), kv{"precision", 64})},
		{"_dlt_id", append(dltColumn("_dlt_id", "text", false), kv{"unique", true}, kv{"row_key", true})},
	}}, {"write_disposition", "append"}, {"file_format", "preferred"}, {"name", "_dlt_pipeline_state"}, {"resource", "_dlt_pipeline_state"},
		{"x-normalizer", orderedObject{{"seen-data", true}}}}},
}

// dltSettings are the settings dlt's rest_api source stores.
var dltSettings = orderedObject{
	{"detections", []string{"iso_timestamp"}},
	{"default_hints", orderedObject{
		{"not_null", []string{ColID, ColRootID, ColParentID, ColListIdx, ColLoadID}},
		{"parent_key", []string{ColParentID}},
		{"root_key", []string{ColRootID}},
		{"unique", []string{ColID}},
		{"row_key", []string{ColID}},
	}},
}

// isDltSystemTable reports whether dlt describes the table itself.
func isDltSystemTable(name string) bool {
	return name == "_dlt_version" || name == "_dlt_loads" || name == "_dlt_pipeline_state"
}

func dltColumn(name, typ string, nullable bool) orderedObject {
	return orderedObject{{"name", name}, {"data_type", typ}, {"nullable", nullable}}
}

// kv is one member of an orderedObject.
type kv struct {
	k string
	v any
}

// orderedObject is a JSON object whose members keep their order: dlt reads a table's
// columns in the order of its dict.
type orderedObject []kv

// MarshalJSON writes the members in order.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshalPlain(m.k)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := marshalPlain(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalPlain is compact JSON without HTML escaping, as dlt's (orjson) writes it.
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// stored is the schema in dlt's stored form, without version and version_hash
// (those VersionHash leaves out).
func (s *Schema) stored() orderedObject {
	tables := orderedObject{}
	for _, t := range dltSystemTables {
		tables = append(tables, kv{t.name, t.table})
	}
	var roots []string
	for _, name := range s.TableNames() {
		t := s.Tables[name]
		if isDltSystemTable(name) {
			continue
		}
		tables = append(tables, kv{name, t.stored()})
		// dlt propagates a root's _dlt_id to its children as _dlt_root_id for merge
		// tables only (its relational normalizer's extend_table), as we do.
		if t.Parent == "" && t.Disposition == "merge" {
			roots = append(roots, name)
		}
	}
	propagation := orderedObject{}
	for _, r := range roots {
		propagation = append(propagation, kv{r, orderedObject{{ColID, ColRootID}}})
	}
	return orderedObject{
		{"engine_version", DltEngineVersion},
		{"name", s.Name},
		{"tables", tables},
		{"settings", dltSettings},
		{"normalizers", orderedObject{{"names", "snake_case"}, {"json", orderedObject{
			{"module", "dlt.common.normalizers.json.relational"},
			{"config", orderedObject{{"propagation", orderedObject{{"tables", propagation}}}}},
		}}}},
	}
}

// stored is one table in dlt's form.
func (t *Table) stored() orderedObject {
	cols := orderedObject{}
	for _, c := range t.Columns {
		col := dltColumn(c.Name, string(c.Type), c.Nullable)
		switch {
		case t.Parent == "" && c.Name == t.PrimaryKey && t.PrimaryKey != "":
			col = append(col, kv{"primary_key", true})
		case t.Parent == "" && c.Name == t.Cursor && t.Cursor != "":
			col = append(col, kv{"incremental", true})
		case c.Name == ColID:
			col = append(col, kv{"unique", true}, kv{"row_key", true})
		case c.Name == ColParentID && t.Parent != "":
			col = append(col, kv{"parent_key", true})
		case c.Name == ColRootID && t.Parent != "":
			col = append(col, kv{"root_key", true})
		}
		if c.Variant {
			col = append(col, kv{"variant", true})
			if base, ok := variantBase(c.Name, c.Type); !ok || base != c.VariantOf {
				col = append(col, kv{"x-variant-of", c.VariantOf})
			}
		}
		cols = append(cols, kv{c.Name, col})
	}
	out := orderedObject{{"name", t.Name}, {"columns", cols}}
	if t.Parent != "" {
		out = append(out, kv{"parent", t.Parent})
	} else {
		out = append(out, kv{"write_disposition", cmp.Or(t.Disposition, "append")}, kv{"resource", cmp.Or(t.Resource, t.Name)})
	}
	return append(out, kv{"x-normalizer", orderedObject{{"seen-data", true}}})
}

// variantBase is the column a variant column's name says it stands beside, when the
// name is <base>__v_<type> unshortened.
func variantBase(name string, t DataType) (string, bool) {
	base, ok := strings.CutSuffix(name, "__v_"+string(t))
	return base, ok && base != ""
}

// JSON is the schema's stored form: dlt's, with version and version_hash.
func (s *Schema) JSON() []byte {
	st := s.stored()
	prev := s.PreviousHashes
	if prev == nil {
		prev = []string{}
	}
	out := append(orderedObject{{"version", s.Version}, {"version_hash", s.VersionHash()}}, st...)
	out = append(out, kv{"previous_hashes", prev})
	b, _ := out.MarshalJSON()
	return b
}

// JSONWithin is the stored form in at most max bytes, as valid JSON: whole tables
// dropped from the end (children before their parents) until it fits, and their names.
func (s *Schema) JSONWithin(max int) ([]byte, []string) {
	b := s.JSON()
	if len(b) <= max {
		return b, nil
	}
	c := s.Clone()
	names := c.TableNames()
	var omitted []string
	for i := len(names) - 1; i >= 0 && len(b) > max; i-- {
		delete(c.Tables, names[i])
		omitted = append(omitted, names[i])
		b = c.JSON()
	}
	slices.Reverse(omitted)
	return b, omitted
}

// VersionHash is the schema's version hash as dlt computes it: SHA3-256 of its stored
// form with keys sorted (version, version_hash and previous_hashes left out), then of
// each table's name, in name order, each followed by its columns' names in order;
// base64.
func (s *Schema) VersionHash() string {
	b, _ := s.stored().MarshalJSON()
	return dltVersionHash(b)
}

// dltVersionHash is dlt's version hash of a stored schema's JSON (with or without
// version, version_hash, imported_version_hash and previous_hashes: they are left out).
func dltVersionHash(stored []byte) string {
	content, err := SortedJSON(stored, "version", "version_hash", "imported_version_hash", "previous_hashes")
	if err != nil {
		return ""
	}
	h := sha3.New256()
	h.Write(content)
	order, _ := columnOrder(stored)
	var names []string
	for n := range order {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h.Write([]byte(n))
		for _, c := range order[n] {
			h.Write([]byte(c))
		}
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// SortedJSON is a JSON object as dlt hashes it (orjson with sorted keys): compact,
// its keys sorted at every level, numbers as written, nothing escaped for HTML; the
// top-level keys leave out. Both of dlt's version hashes, the schema's and the
// state's, are SHA3-256 of this.
func SortedJSON(object []byte, leave ...string) ([]byte, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(object))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	for _, k := range leave {
		delete(doc, k)
	}
	return marshalPlain(doc) // a map's keys are written sorted
}

// columnOrder reads each table's column names in the order of its columns' dict.
func columnOrder(stored []byte) (map[string][]string, error) {
	var doc struct {
		Tables map[string]struct {
			Columns json.RawMessage `json:"columns"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(stored, &doc); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for name, t := range doc.Tables {
		keys, err := objectKeys(t.Columns)
		if err != nil {
			return nil, err
		}
		out[name] = keys
	}
	return out, nil
}

// objectKeys is the keys of a JSON object in order (none for null or absent).
func objectKeys(raw json.RawMessage) ([]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("columns are not an object")
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// dltStored is what ParseSchema reads of dlt's form.
type dltStored struct {
	Version        int                        `json:"version"`
	VersionHash    string                     `json:"version_hash"`
	EngineVersion  int                        `json:"engine_version"`
	Name           string                     `json:"name"`
	Tables         map[string]json.RawMessage `json:"tables"`
	PreviousHashes []string                   `json:"previous_hashes"`
}

type dltTable struct {
	Parent      string          `json:"parent"`
	Disposition string          `json:"write_disposition"`
	Resource    string          `json:"resource"`
	Columns     json.RawMessage `json:"columns"`
}

type dltCol struct {
	Name        string   `json:"name"`
	Type        DataType `json:"data_type"`
	Nullable    *bool    `json:"nullable"`
	PrimaryKey  bool     `json:"primary_key"`
	Incremental bool     `json:"incremental"`
	Variant     bool     `json:"variant"`
	VariantOf   string   `json:"x-variant-of"`
}

// parseDlt reads dlt's stored form (engine 9 and later: tables and columns as dicts).
func parseDlt(data []byte) (*Schema, error) {
	var d dltStored
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	s := NewSchema()
	s.Name, s.Version, s.PreviousHashes, s.storedHash = cmp.Or(d.Name, SchemaName), d.Version, d.PreviousHashes, d.VersionHash
	for name, raw := range d.Tables {
		if isDltSystemTable(name) {
			continue
		}
		var dt dltTable
		if err := json.Unmarshal(raw, &dt); err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		t := &Table{Name: name, Parent: dt.Parent, Resource: dt.Resource}
		if dt.Parent == "" {
			t.Disposition = dt.Disposition
		}
		keys, err := objectKeys(dt.Columns)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		var cols map[string]dltCol
		if len(keys) > 0 {
			if err := json.Unmarshal(dt.Columns, &cols); err != nil {
				return nil, fmt.Errorf("table %s: %w", name, err)
			}
		}
		for _, k := range keys {
			c := cols[k]
			col := &Column{Name: cmp.Or(c.Name, k), Type: c.Type, Nullable: c.Nullable == nil || *c.Nullable, Variant: c.Variant}
			if c.Variant {
				col.VariantOf = c.VariantOf
				if col.VariantOf == "" {
					col.VariantOf, _ = variantBase(col.Name, col.Type)
				}
			}
			if c.PrimaryKey && t.Parent == "" {
				t.PrimaryKey = col.Name
			}
			if c.Incremental && t.Parent == "" {
				t.Cursor = col.Name
			}
			t.Columns = append(t.Columns, col)
		}
		t.reindex()
		s.Tables[name] = t
	}
	// A child table's resource is its root's.
	for _, t := range s.Tables {
		root := t
		for seen := 0; root.Parent != "" && s.Tables[root.Parent] != nil && seen < len(s.Tables); seen++ {
			root = s.Tables[root.Parent]
		}
		if t.Resource == "" || t.Parent != "" {
			t.Resource = cmp.Or(root.Resource, root.Name)
		}
	}
	return s, nil
}

// ParseSchema reads a stored schema: dlt's form, or the list form of engine 1.
func ParseSchema(data []byte) (*Schema, error) {
	var probe struct {
		EngineVersion int `json:"engine_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	var s *Schema
	var err error
	switch {
	case probe.EngineVersion >= 9:
		s, err = parseDlt(data)
	case probe.EngineVersion == EngineVersion || probe.EngineVersion == 0:
		s, err = parseLegacy(data)
	default:
		return nil, fmt.Errorf("a stored schema of engine version %d: this program reads dlt's engine 9 and later (dlt 0.5 and later), and its own of engine 1; "+
			"load the dataset once with a current dlt, or with --full-refresh", probe.EngineVersion)
	}
	if err != nil {
		return nil, err
	}
	if s.Name == LegacySchemaName {
		s.Name = SchemaName
	}
	return s, nil
}

// parseLegacy reads the form of engine 1: a table's columns as a list.
func parseLegacy(data []byte) (*Schema, error) {
	s := &Schema{Tables: map[string]*Table{}}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, err
	}
	if s.Tables == nil {
		s.Tables = map[string]*Table{}
	}
	for _, t := range s.Tables {
		t.reindex()
	}
	s.EngineVersion = DltEngineVersion
	s.PreviousHashes = nil
	return s, nil
}

// Bump gives s, a schema that follows prev (nil for none), the version dlt would: the
// same as prev's when its version hash is the same, else one more, prev's hash first
// among the previous ones. It reports whether the schema changed.
func (s *Schema) Bump(prev *Schema) bool {
	if prev == nil {
		if s.Version == 0 {
			s.Version = 1
		}
		return true
	}
	prevHash := prev.storedHash
	if prevHash == "" {
		prevHash = prev.VersionHash()
	}
	s.Version, s.PreviousHashes = prev.Version, slices.Clone(prev.PreviousHashes)
	if s.VersionHash() == prevHash && prev.storedHash != "" {
		return false
	}
	s.Version++
	if prevHash != "" && !slices.Contains(s.PreviousHashes, prevHash) {
		s.PreviousHashes = append([]string{prevHash}, s.PreviousHashes...)
	}
	if len(s.PreviousHashes) > maxPreviousHashes {
		s.PreviousHashes = s.PreviousHashes[:maxPreviousHashes]
	}
	return true
}

package normalize

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// reference is a file of what dlt 1.26 wrote for the simulator's small workspace
// (pipeline/testdata/dlt-1.26-secoda-small, copied from the shared reference).
func reference(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/dlt-1.26-secoda-small/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVersionHashIsDlts: dlt's version hash of its own stored schema is the one it
// stored, computed by our rule; and the schema read from it and stored again in our
// form hashes the same, so our form is dlt's to the byte that counts.
func TestVersionHashIsDlts(t *testing.T) {
	raw := reference(t, "dlt_version_schema.json")
	var ref struct {
		VersionHash    string   `json:"version_hash"`
		Version        int      `json:"version"`
		PreviousHashes []string `json:"previous_hashes"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if got := dltVersionHash(raw); got != ref.VersionHash {
		t.Fatalf("dlt's own schema hashes to %s by our rule; dlt stored %s", got, ref.VersionHash)
	}
	s, err := ParseSchema(raw)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "secoda_source" || s.Version != ref.Version || !slices.Equal(s.PreviousHashes, ref.PreviousHashes) {
		t.Fatalf("read as %s version %d, previous %v", s.Name, s.Version, s.PreviousHashes)
	}
	if got := s.VersionHash(); got != ref.VersionHash {
		t.Errorf("stored again in our form, dlt's schema hashes to %s, not %s:\n%s", got, ref.VersionHash, diffStored(t, raw, s.JSON()))
	}
	rc := s.Tables["resource_catalog"]
	if rc.PrimaryKey != "id" || rc.Cursor != "updated_at" || rc.Disposition != "merge" || rc.Columns[0].Name != "id" {
		t.Fatalf("resource_catalog read as %+v", rc)
	}
	if owners := s.Tables["resource_catalog__owners"]; owners.Resource != "resource_catalog" || owners.Parent != "resource_catalog" {
		t.Fatalf("a child table read as %+v", owners)
	}
	// A change moves the version on, the old hash first among the previous ones.
	next := s.Clone()
	next.Tables["resource_catalog"].AddColumn(&Column{Name: "new_field", Type: Text, Nullable: true})
	if !next.Bump(s) || next.Version != ref.Version+1 || next.PreviousHashes[0] != ref.VersionHash {
		t.Fatalf("after a new column: version %d, previous %v", next.Version, next.PreviousHashes)
	}
	same := s.Clone()
	if same.Bump(s) || same.Version != ref.Version {
		t.Fatalf("an unchanged schema bumped to %d", same.Version)
	}
}

// diffStored names the tables whose stored form differs between dlt's and ours.
func diffStored(t *testing.T, theirs, ours []byte) string {
	t.Helper()
	var a, b map[string]any
	json.Unmarshal(theirs, &a)
	json.Unmarshal(ours, &b)
	var out []string
	for _, k := range []string{"settings", "normalizers", "name", "engine_version"} {
		x, _ := json.Marshal(a[k])
		y, _ := json.Marshal(b[k])
		if string(x) != string(y) {
			out = append(out, k+":\n dlt  "+string(x)+"\n ours "+string(y))
		}
	}
	at, bt := a["tables"].(map[string]any), b["tables"].(map[string]any)
	for name, ta := range at {
		x, _ := json.Marshal(ta)
		y, _ := json.Marshal(bt[name])
		if string(x) != string(y) {
			out = append(out, name+":\n dlt  "+string(x)+"\n ours "+string(y))
		}
	}
	for name := range bt {
		if at[name] == nil {
			out = append(out, name+": ours only")
		}
	}
	return strings.Join(out, "\n")
}

// TestTheListFormIsReadAndWrittenAgainInDlts: a schema of engine 1 (this program's
// before) is read, its name carried over, and stored again in dlt's form, which reads
// back the same.
func TestTheListFormIsReadAndWrittenAgainInDlts(t *testing.T) {
	legacy := `{"name":"secoda","version":3,"engine_version":1,"tables":{"integration":{"name":"integration","resource":"integration",
		"write_disposition":"merge","primary_key":"id","columns":[{"name":"id","data_type":"text","nullable":false},
		{"name":"n","data_type":"bigint","nullable":true},{"name":"n__v_text","data_type":"text","nullable":true,"variant":true,"variant_of":"n"},
		{"name":"_dlt_load_id","data_type":"text","nullable":false},{"name":"_dlt_id","data_type":"text","nullable":false}]},
		"integration__teams":{"name":"integration__teams","parent":"integration","resource":"integration","columns":[
		{"name":"value","data_type":"text","nullable":true},{"name":"_dlt_parent_id","data_type":"text","nullable":false}]}}}`
	s, err := ParseSchema([]byte(legacy))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != SchemaName || s.Version != 3 {
		t.Fatalf("read as %s version %d", s.Name, s.Version)
	}
	next := s.Clone()
	if !next.Bump(s) || next.Version != 4 {
		t.Fatalf("the list form must be stored again: version %d", next.Version)
	}
	back, err := ParseSchema(next.JSON())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range s.Tables {
		got := back.Tables[name]
		if got == nil || !got.Equal(want) || got.Parent != want.Parent || got.Resource != want.Resource ||
			got.Disposition != want.Disposition || got.PrimaryKey != want.PrimaryKey {
			t.Errorf("%s: stored and read back as %+v, was %+v", name, got, want)
		}
	}
	if again := back.Clone(); back.VersionHash() != next.VersionHash() || again.Bump(back) || again.Version != 4 {
		t.Fatal("read back, the schema is not the one stored")
	}
	var doc struct {
		EngineVersion int `json:"engine_version"`
		Tables        map[string]struct {
			Columns map[string]map[string]any `json:"columns"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(next.JSON(), &doc); err != nil || doc.EngineVersion != 11 {
		t.Fatalf("engine %d, %v", doc.EngineVersion, err)
	}
	cols := doc.Tables["integration"].Columns
	if cols["id"]["primary_key"] != true || cols["_dlt_id"]["row_key"] != true || cols["n__v_text"]["variant"] != true ||
		doc.Tables["integration__teams"].Columns["_dlt_parent_id"]["parent_key"] != true {
		t.Fatalf("hints: %v", doc.Tables)
	}
}

// The keys and types dlt's stored schema may have, from dlt's
// dlt/common/schema/typing.py (TStoredSchema, TTableSchema, TColumnSchema,
// TSchemaSettings; SCHEMA_ENGINE_VERSION 11) and dlt/common/data_types (TDataType).
// dlt's Schema.from_dict validates with validate_dict_ignoring_xkeys: a key outside
// these fails, unless it starts with "x-".
var (
	dltSchemaKeys = map[string]string{"version": "int", "version_hash": "string", "previous_hashes": "strings", "imported_version_hash": "string",
		"engine_version": "int", "name": "string", "description": "string", "settings": "object", "tables": "object", "normalizers": "object"}
	dltTableKeys = map[string]string{"name": "string", "description": "string", "schema_contract": "any", "table_sealed": "bool", "parent": "string",
		"filters": "object", "columns": "object", "resource": "string", "table_format": "string", "file_format": "string", "write_disposition": "string",
		"references": "list"}
	dltColumnKeys = map[string]string{"data_type": "string", "nullable": "bool", "precision": "int", "scale": "int", "timezone": "bool", "name": "string",
		"description": "string", "partition": "bool", "cluster": "bool", "unique": "bool", "sort": "bool", "primary_key": "bool", "row_key": "bool",
		"parent_key": "bool", "root_key": "bool", "merge_key": "bool", "variant": "bool", "hard_delete": "bool", "dedup_sort": "string", "incremental": "bool"}
	dltSettingsKeys = map[string]string{"schema_contract": "any", "detections": "strings", "default_hints": "object", "preferred_types": "object"}
	dltDataTypes    = []string{"text", "double", "bool", "timestamp", "bigint", "binary", "json", "decimal", "wei", "date", "time"}
	dltHints        = []string{"not_null", "nullable", "partition", "cluster", "primary_key", "sort", "unique", "merge_key", "row_key", "parent_key", "root_key", "hard_delete", "dedup_sort"}
	dltDispositions = []string{"skip", "append", "replace", "merge"}
)

// validateAsDlt lists what dlt's validation of a stored schema would refuse.
func validateAsDlt(raw []byte) []string {
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return []string{err.Error()}
	}
	var out []string
	check := func(path string, obj map[string]any, allowed map[string]string) {
		for k, v := range obj {
			if strings.HasPrefix(k, "x-") {
				continue
			}
			want, ok := allowed[k]
			if !ok {
				out = append(out, path+"."+k+": not a key dlt knows")
				continue
			}
			if !jsonIs(v, want) {
				out = append(out, fmt.Sprintf("%s.%s: %v is not %s", path, k, v, want))
			}
		}
	}
	check("", doc, dltSchemaKeys)
	if doc["engine_version"] != json.Number("11") {
		out = append(out, fmt.Sprintf("engine_version %v, dlt's is 11", doc["engine_version"]))
	}
	if name, _ := doc["name"].(string); name == "" || len(name) > 64 || Identifier(name, 0) != name {
		out = append(out, fmt.Sprintf("name %q is not a valid schema name", doc["name"]))
	}
	settings, _ := doc["settings"].(map[string]any)
	check(".settings", settings, dltSettingsKeys)
	hints, _ := settings["default_hints"].(map[string]any)
	for h, v := range hints {
		if !slices.Contains(dltHints, h) || !jsonIs(v, "strings") {
			out = append(out, ".settings.default_hints."+h+": not a hint dlt knows, or not a list of names")
		}
	}
	norm, _ := doc["normalizers"].(map[string]any)
	if _, ok := norm["names"].(string); !ok {
		out = append(out, ".normalizers.names: missing")
	}
	if js, _ := norm["json"].(map[string]any); js == nil || js["module"] == nil {
		out = append(out, ".normalizers.json.module: missing")
	}
	tables, _ := doc["tables"].(map[string]any)
	for name, tv := range tables {
		t, _ := tv.(map[string]any)
		path := ".tables." + name
		check(path, t, dltTableKeys)
		if wd, ok := t["write_disposition"].(string); ok && !slices.Contains(dltDispositions, wd) {
			out = append(out, path+".write_disposition: "+wd)
		}
		if p, ok := t["parent"].(string); ok && tables[p] == nil {
			out = append(out, path+".parent: "+p+" is not a table")
		}
		cols, _ := t["columns"].(map[string]any)
		for cn, cv := range cols {
			c, _ := cv.(map[string]any)
			check(path+".columns."+cn, c, dltColumnKeys)
			if dt, _ := c["data_type"].(string); !slices.Contains(dltDataTypes, dt) {
				out = append(out, path+".columns."+cn+".data_type: "+dt)
			}
		}
	}
	return out
}

func jsonIs(v any, kind string) bool {
	switch kind {
	case "any":
		return true
	case "string":
		_, ok := v.(string)
		return ok || v == nil
	case "bool":
		_, ok := v.(bool)
		return ok || v == nil
	case "int":
		n, ok := v.(json.Number)
		_, err := n.Int64()
		return ok && err == nil
	case "object":
		_, ok := v.(map[string]any)
		return ok || v == nil
	case "list":
		_, ok := v.([]any)
		return ok || v == nil
	case "strings":
		xs, ok := v.([]any)
		for _, x := range xs {
			if _, ok := x.(string); !ok {
				return false
			}
		}
		return ok
	}
	return false
}

// TestTheStoredSchemaValidatesAsDlts: what we store passes dlt's validation of a
// stored schema (as its typing defines it), for a schema with every kind of table and
// column this program makes; and dlt's own passes, so the check is dlt's.
func TestTheStoredSchemaValidatesAsDlts(t *testing.T) {
	if errs := validateAsDlt(reference(t, "dlt_version_schema.json")); len(errs) > 0 {
		t.Fatalf("dlt's own schema fails the check:\n%s", strings.Join(errs, "\n"))
	}
	s := NewSchema()
	s.Version = 4
	s.PreviousHashes = []string{"a", "b"}
	root := &Table{Name: "resource_catalog", Resource: "resource_catalog", Disposition: "merge", PrimaryKey: "id", Cursor: "updated_at"}
	for _, c := range []*Column{{Name: "id", Type: Text}, {Name: "updated_at", Type: Timestamp, Nullable: true}, {Name: "n", Type: BigInt, Nullable: true},
		{Name: "n__v_text", Type: Text, Nullable: true, Variant: true, VariantOf: "n"}, {Name: "score", Type: Double, Nullable: true},
		{Name: "ok", Type: Bool, Nullable: true}, {Name: "extra", Type: JSON, Nullable: true}, {Name: ColLoadID, Type: Text}, {Name: ColID, Type: Text}} {
		root.AddColumn(c)
	}
	child := &Table{Name: "resource_catalog__tags", Parent: "resource_catalog", Resource: "resource_catalog"}
	for _, c := range []*Column{{Name: ColValue, Type: Text, Nullable: true}, {Name: ColRootID, Type: Text}, {Name: ColParentID, Type: Text},
		{Name: ColListIdx, Type: BigInt}, {Name: ColID, Type: Text}} {
		child.AddColumn(c)
	}
	grandchild := &Table{Name: "resource_catalog__tags__list", Parent: "resource_catalog__tags", Resource: "resource_catalog"}
	grandchild.AddColumn(&Column{Name: ColValue, Type: Text, Nullable: true})
	appended := &Table{Name: "event", Resource: "event", Disposition: "append"}
	appended.AddColumn(&Column{Name: "id", Type: Text, Nullable: true})
	for _, tb := range []*Table{root, child, grandchild, appended} {
		s.Tables[tb.Name] = tb
	}
	if errs := validateAsDlt(s.JSON()); len(errs) > 0 {
		t.Fatalf("dlt would refuse what we store:\n%s", strings.Join(errs, "\n"))
	}
	// Only merge tables propagate their _dlt_id to their children, as in dlt.
	var doc struct {
		Normalizers struct {
			JSON struct {
				Config struct {
					Propagation struct {
						Tables map[string]map[string]string `json:"tables"`
					} `json:"propagation"`
				} `json:"config"`
			} `json:"json"`
		} `json:"normalizers"`
	}
	if err := json.Unmarshal(s.JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	if p := doc.Normalizers.JSON.Config.Propagation.Tables; len(p) != 1 || p["resource_catalog"][ColID] != ColRootID {
		t.Fatalf("propagation: %v", p)
	}
	// The check can fail: a key dlt does not know is refused.
	if errs := validateAsDlt([]byte(strings.Replace(string(s.JSON()), `"nullable"`, `"nulable"`, 1))); len(errs) == 0 {
		t.Fatal("a misspelt key passed the check")
	}
}

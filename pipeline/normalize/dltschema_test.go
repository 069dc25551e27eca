package normalize

import (
	"encoding/json"
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

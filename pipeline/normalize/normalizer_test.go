package normalize

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"
)

// memSink keeps rows as maps, column name to plain value.
type memSink struct {
	rows map[string][]map[string]any
}

func (m *memSink) Row(t *Table, cells []Cell) error {
	if m.rows == nil {
		m.rows = map[string][]map[string]any{}
	}
	row := map[string]any{}
	for i, c := range cells {
		if !c.Null() {
			row[t.Columns[i].Name] = c.Any()
		}
	}
	m.rows[t.Name] = append(m.rows[t.Name], row)
	return nil
}

func normalizeAll(t *testing.T, stored *Schema, opt Options, records ...string) (*Normalizer, *memSink) {
	t.Helper()
	sink := &memSink{}
	if opt.Resource == "" {
		opt.Resource = "things"
	}
	if opt.LoadID == "" {
		opt.LoadID = "1749667187.541553"
	}
	if opt.MaxNesting == 0 {
		opt.MaxNesting = DefaultMaxNesting
	}
	n := New(stored, opt, sink)
	for _, r := range records {
		v, err := jsonv.Parse([]byte(r))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Record(v); err != nil {
			t.Fatal(err)
		}
	}
	return n, sink
}

func columns(t *Table) string { return strings.Join(t.ColumnNames(), ",") }

func TestFlatRecordAndSystemColumns(t *testing.T) {
	n, sink := normalizeAll(t, nil, Options{}, `{"id": "a", "Title": "x", "count": 3, "ratio": 0.5, "ok": true, "at": "2023-08-16T23:12:53.245493Z", "none": null}`)
	root := n.Schema().Tables["things"]
	if got := columns(root); got != "id,title,count,ratio,ok,at,_dlt_load_id,_dlt_id" {
		t.Fatalf("columns %s", got)
	}
	types := map[string]DataType{}
	for _, c := range root.Columns {
		types[c.Name] = c.Type
	}
	want := map[string]DataType{"id": Text, "title": Text, "count": BigInt, "ratio": Double, "ok": Bool, "at": Timestamp, "_dlt_load_id": Text, "_dlt_id": Text}
	for k, v := range want {
		if types[k] != v {
			t.Errorf("%s is %s, want %s", k, types[k], v)
		}
	}
	row := sink.rows["things"][0]
	if row["_dlt_load_id"] != "1749667187.541553" || len(row["_dlt_id"].(string)) != 14 {
		t.Fatalf("system columns %v", row)
	}
	if at := row["at"].(time.Time); !at.Equal(time.Date(2023, 8, 16, 23, 12, 53, 245493000, time.UTC)) {
		t.Fatalf("timestamp %v", at)
	}
}

func TestNestedObjectsFlattenAndListsBecomeChildTables(t *testing.T) {
	rec := `{"id": "r1", "sidebar_settings": {"home": true, "deep": {"x": 1}},
		"tags": ["t1", "t2"],
		"properties": {"custom": [{"name": "Tier", "value": "Gold", "opts": ["a", "b"]}, {"name": "SLA", "value": 4}]},
		"matrix": [[1, 2], [3]]}`
	n, sink := normalizeAll(t, nil, Options{Resource: "resource_catalog"}, rec)
	s := n.Schema()
	if got := columns(s.Tables["resource_catalog"]); got != "id,sidebar_settings__home,sidebar_settings__deep__x,_dlt_load_id,_dlt_id" {
		t.Fatalf("root columns %s", got)
	}
	root := sink.rows["resource_catalog"][0]
	rootID := root["_dlt_id"].(string)

	tags := sink.rows["resource_catalog__tags"]
	if len(tags) != 2 || tags[1]["value"] != "t2" || tags[1]["_dlt_list_idx"] != int64(1) || tags[1]["_dlt_parent_id"] != rootID {
		t.Fatalf("tags %v", tags)
	}
	// dlt's deterministic child id: digest128("<parent>_<table>_<idx>", 10).
	if want := ChildRowID([]byte(rootID + "_resource_catalog__tags_1")); tags[1]["_dlt_id"] != want {
		t.Fatalf("child id %v, want %s", tags[1]["_dlt_id"], want)
	}
	if got := columns(s.Tables["resource_catalog__tags"]); got != "value,_dlt_parent_id,_dlt_list_idx,_dlt_id" {
		t.Fatalf("scalar child columns %s", got)
	}

	custom := sink.rows["resource_catalog__properties__custom"]
	if len(custom) != 2 || custom[0]["name"] != "Tier" || custom[0]["_dlt_parent_id"] != rootID {
		t.Fatalf("custom %v", custom)
	}
	// The same column holds "Gold" and 4: the first type wins, 4 is coerced to text.
	if custom[1]["value"] != "4" {
		t.Fatalf("value 4 in a text column became %v", custom[1]["value"])
	}
	opts := sink.rows["resource_catalog__properties__custom__opts"]
	if len(opts) != 2 || opts[0]["_dlt_parent_id"] != custom[0]["_dlt_id"] {
		t.Fatalf("grandchild rows %v", opts)
	}
	if s.Tables["resource_catalog__properties__custom__opts"].Parent != "resource_catalog__properties__custom" {
		t.Fatal("grandchild's parent is wrong")
	}
	// Lists of lists go through a row holding each inner list.
	if len(sink.rows["resource_catalog__matrix"]) != 2 || len(sink.rows["resource_catalog__matrix__list"]) != 3 {
		t.Fatalf("list of lists: %v / %v", sink.rows["resource_catalog__matrix"], sink.rows["resource_catalog__matrix__list"])
	}
}

func TestMergeAddsRootIDToEveryChildRow(t *testing.T) {
	rec := `{"id": "r1", "owners": ["u1"], "properties": {"custom": [{"name": "n", "opts": ["a"]}]}}`
	_, sink := normalizeAll(t, nil, Options{Resource: "rc", Disposition: "merge", PrimaryKey: "id"}, rec)
	rootID := sink.rows["rc"][0]["_dlt_id"]
	for _, table := range []string{"rc__owners", "rc__properties__custom", "rc__properties__custom__opts"} {
		for _, r := range sink.rows[table] {
			if r["_dlt_root_id"] != rootID {
				t.Fatalf("%s row %v lacks _dlt_root_id %v", table, r, rootID)
			}
		}
	}
	_, sink = normalizeAll(t, nil, Options{Resource: "rc", Disposition: "append"}, rec)
	if _, ok := sink.rows["rc__owners"][0]["_dlt_root_id"]; ok {
		t.Fatal("append rows carry _dlt_root_id")
	}
}

func TestMergeNeedsThePrimaryKey(t *testing.T) {
	n := New(nil, Options{Resource: "rc", Disposition: "merge", PrimaryKey: "id", MaxNesting: DefaultMaxNesting}, &memSink{})
	v, _ := jsonv.Parse([]byte(`{"title": "no id"}`))
	err := n.Record(v)
	if err == nil || !strings.Contains(err.Error(), "no primary key id") || !strings.Contains(err.Error(), "append") {
		t.Fatalf("want an error naming the key and the way out, got %v", err)
	}
}

func TestTypeDriftCoercesOrGoesToVariantColumns(t *testing.T) {
	n, sink := normalizeAll(t, nil, Options{},
		`{"children_count": 3, "total_usage": 10, "flag": true}`,
		`{"children_count": "12", "total_usage": "1,234 (approx.)", "flag": "yes"}`,
		`{"children_count": 4.0, "total_usage": 7.5, "flag": 1}`,
	)
	tbl := n.Schema().Tables["things"]
	if got := columns(tbl); got != "children_count,total_usage,flag,_dlt_load_id,_dlt_id,total_usage__v_text,total_usage__v_double" {
		t.Fatalf("columns %s", got)
	}
	rows := sink.rows["things"]
	if rows[1]["children_count"] != int64(12) || rows[2]["children_count"] != int64(4) {
		t.Fatalf("numeric strings and integral doubles coerce into bigint: %v %v", rows[1], rows[2])
	}
	if rows[1]["total_usage__v_text"] != "1,234 (approx.)" || rows[1]["total_usage"] != nil {
		t.Fatalf("text that is not a number goes to a variant: %v", rows[1])
	}
	if rows[2]["total_usage__v_double"] != 7.5 {
		t.Fatalf("a fraction does not fit bigint: %v", rows[2])
	}
	if rows[1]["flag"] != true || rows[2]["flag"] != true {
		t.Fatalf("bool coercions: %v %v", rows[1], rows[2])
	}
	vc, _ := tbl.Column("total_usage__v_text")
	if !vc.Variant || vc.VariantOf != "total_usage" {
		t.Fatalf("variant column %+v", vc)
	}
	if st := n.Stats(); len(st.VariantColumns) != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestNullsAddNoColumnUntilAValueComes(t *testing.T) {
	n, sink := normalizeAll(t, nil, Options{}, `{"a": null, "b": 1}`, `{"a": "x", "b": null}`)
	if got := columns(n.Schema().Tables["things"]); got != "b,_dlt_load_id,_dlt_id,a" {
		t.Fatalf("columns %s", got)
	}
	if _, ok := sink.rows["things"][1]["b"]; ok {
		t.Fatal("a null became a value")
	}
}

func TestMaxNestingKeepsDeepValuesAsJSON(t *testing.T) {
	n, sink := normalizeAll(t, nil, Options{MaxNesting: 1}, `{"a": {"b": {"c": [1, "x\"y"]}, "l": [{"k": 1}]}, "top": [1]}`)
	s := n.Schema()
	if got := columns(s.Tables["things"]); got != "a__b,a__l,_dlt_load_id,_dlt_id" {
		t.Fatalf("columns %s", got)
	}
	row := sink.rows["things"][0]
	if row["a__b"] != `{"c":[1,"x\"y"]}` || row["a__l"] != `[{"k":1}]` {
		t.Fatalf("json values %v", row)
	}
	if c, _ := s.Tables["things"].Column("a__b"); c.Type != JSON {
		t.Fatalf("a__b is %s", c.Type)
	}
	// The list at the top level is within the nesting limit: a child table.
	if len(sink.rows["things__top"]) != 1 {
		t.Fatal("top-level list not a child table")
	}
}

func TestNonObjectRecordsAreWrapped(t *testing.T) {
	_, sink := normalizeAll(t, nil, Options{}, `"just a string"`, `42`)
	if sink.rows["things"][0]["value"] != "just a string" || sink.rows["things"][1]["value"] != "42" {
		t.Fatalf("%v", sink.rows["things"])
	}
}

func TestContractsOnAnExistingTable(t *testing.T) {
	first, _ := normalizeAll(t, nil, Options{}, `{"id": "a", "n": 1, "tags": ["x"]}`)
	stored := first.Schema()

	tests := []struct {
		name     string
		contract Contract
		record   string
		wantErr  string
		check    func(*testing.T, *Normalizer, *memSink)
	}{
		{"freeze columns refuses a new column", Contract{Evolve, Freeze, Evolve}, `{"id": "b", "extra": 1}`,
			"columns=freeze refuses things.extra", nil},
		{"discard_row drops the row with a new column", Contract{Evolve, DiscardRow, Evolve}, `{"id": "b", "extra": 1, "tags": ["y"]}`, "",
			func(t *testing.T, n *Normalizer, s *memSink) {
				if len(s.rows["things"]) != 0 || len(s.rows["things__tags"]) != 0 || n.Stats().DiscardedRows != 1 {
					t.Fatalf("rows %v, stats %+v", s.rows, n.Stats())
				}
			}},
		{"discard_value drops only the new value", Contract{Evolve, DiscardValue, Evolve}, `{"id": "b", "extra": 1}`, "",
			func(t *testing.T, n *Normalizer, s *memSink) {
				if r := s.rows["things"][0]; r["id"] != "b" || r["extra"] != nil || n.Stats().DiscardedValues != 1 {
					t.Fatalf("row %v", r)
				}
				if c, _ := n.Schema().Tables["things"].Column("extra"); c != nil {
					t.Fatal("the column was added")
				}
			}},
		{"freeze data_type refuses a variant", Contract{Evolve, Evolve, Freeze}, `{"id": "b", "n": "many"}`,
			"data_type=freeze refuses things.n (a text value in a bigint column)", nil},
		{"discard_value of a bad type", Contract{Evolve, Evolve, DiscardValue}, `{"id": "b", "n": "many"}`, "",
			func(t *testing.T, n *Normalizer, s *memSink) {
				if r := s.rows["things"][0]; r["id"] != "b" || len(r) != 3 {
					t.Fatalf("row %v", r)
				}
			}},
		{"freeze tables drops new child tables' rows", Contract{Freeze, Evolve, Evolve}, `{"id": "b", "owners": ["u"]}`, "",
			func(t *testing.T, n *Normalizer, s *memSink) {
				if len(s.rows["things__owners"]) != 0 || n.Schema().Tables["things__owners"] != nil {
					t.Fatal("a new child table was created under a frozen contract")
				}
			}},
		{"evolve takes everything", EvolveAll, `{"id": "b", "extra": 1, "n": "many", "owners": ["u"]}`, "",
			func(t *testing.T, n *Normalizer, s *memSink) {
				if len(s.rows["things__owners"]) != 1 || s.rows["things"][0]["n__v_text"] != "many" {
					t.Fatalf("rows %v", s.rows)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &memSink{}
			n := New(stored, Options{Resource: "things", Contract: tt.contract, MaxNesting: DefaultMaxNesting, LoadID: "1"}, sink)
			v, _ := jsonv.Parse([]byte(tt.record))
			err := n.Record(v)
			if tt.wantErr != "" {
				var ce *ContractError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "schema_contract") {
					t.Fatalf("want a contract error saying %q, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, n, sink)
		})
	}
}

func TestChildRowIDIsDltDigest128(t *testing.T) {
	// Reference values from Python: base64(hashlib.shake_128(v).digest(10)).rstrip("=").
	for in, want := range map[string]string{
		"abc_t_0":                         "625dlY7ZTiYgeg",
		"parent_resource_catalog__tags_3": "k4ArLdv+yFd6Hg",
	} {
		if got := ChildRowID([]byte(in)); got != want {
			t.Errorf("ChildRowID(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestRootIDsAreUnique(t *testing.T) {
	var recs []string
	for range 2000 {
		recs = append(recs, `{"a": 1}`)
	}
	_, sink := normalizeAll(t, nil, Options{}, recs...)
	seen := map[any]bool{}
	for _, r := range sink.rows["things"] {
		if seen[r["_dlt_id"]] {
			t.Fatal("duplicate root id")
		}
		seen[r["_dlt_id"]] = true
	}
}

// TestPythonSentinelsAreTheirValues: the strings "None", "True" and "False" that
// Secoda's API prints for Python values load as null, true and false: a timestamp column
// gets no text variant for "None", a flag gets a bool column, and a text column keeps
// "True" and "False" as they were written. Everywhere: root columns, nested objects,
// lists of scalars.
func TestPythonSentinelsAreTheirValues(t *testing.T) {
	n, sink := normalizeAll(t, nil, Options{Resource: "user", Disposition: "merge", PrimaryKey: "id"},
		`{"id": "a", "last_login": "None", "pending": "False", "note": "hello", "meta": {"seen": "None"}, "tags": ["x", "None"]}`,
		`{"id": "b", "last_login": "2026-05-01T10:00:00.000001Z", "pending": "True", "note": "True", "meta": {"seen": "2026-05-01T10:00:00Z"}}`,
		`{"id": "c", "last_login": "None", "pending": false, "note": "False"}`)
	root := n.Schema().Tables["user"]
	types := map[string]DataType{}
	for _, c := range root.Columns {
		types[c.Name] = c.Type
	}
	if types["last_login"] != Timestamp || types["pending"] != Bool || types["note"] != Text || types["meta__seen"] != Timestamp {
		t.Fatalf("columns: %v", types)
	}
	for _, c := range root.Columns {
		if c.Variant {
			t.Fatalf("a variant column %s: a sentinel did not read as its value", c.Name)
		}
	}
	rows := sink.rows["user"]
	if rows[0]["last_login"] != nil || rows[2]["last_login"] != nil || rows[1]["last_login"] == nil {
		t.Errorf("last_login: %v %v %v", rows[0]["last_login"], rows[1]["last_login"], rows[2]["last_login"])
	}
	if rows[0]["pending"] != false || rows[1]["pending"] != true || rows[2]["pending"] != false {
		t.Errorf("pending: %v %v %v", rows[0]["pending"], rows[1]["pending"], rows[2]["pending"])
	}
	if rows[0]["note"] != "hello" || rows[1]["note"] != "True" || rows[2]["note"] != "False" {
		t.Errorf("a text column changed its words: %q %q", rows[1]["note"], rows[2]["note"])
	}
	if _, ok := rows[0]["meta__seen"]; ok {
		t.Errorf("a nested \"None\": %v", rows[0]["meta__seen"])
	}
	tags := sink.rows["user__tags"]
	if len(tags) != 2 || tags[0]["value"] != "x" || tags[1]["value"] != nil {
		t.Errorf("a \"None\" list item: %v", tags)
	}
}

// TestFieldsThatBecomeOneColumnAreCounted: Foo, foo and "FOO " are one column, as in
// dlt; the last value of a record is kept, as dlt keeps it, and each value it replaced
// is counted with the fields' names, so nothing is dropped unsaid. So for duplicate
// keys, variant columns and lists that become one child table; a__b is not a.b (dlt's
// names fold double underscores).
func TestFieldsThatBecomeOneColumnAreCounted(t *testing.T) {
	n, sink := normalizeAll(t, nil, Options{},
		`{"id": "1", "Foo": "first", "foo": "second", "FOO ": "third"}`,
		`{"id": "2", "foo": "only"}`,
		`{"id": "3", "a__b": 1, "a": {"b": 2}}`,
		`{"id": "4", "dup": 1, "dup": 2}`,
		`{"id": "5", "n": 1, "N": "x", "n ": "y"}`,
		`{"id": "6", "Tags": [1, 2], "tags": [3]}`)
	rows := sink.rows["things"]
	if rows[0]["foo"] != "third" || rows[1]["foo"] != "only" || rows[2]["a__b"] != int64(2) || rows[2]["a_b"] != int64(1) || rows[3]["dup"] != int64(2) || rows[4]["n__v_text"] != "y" {
		t.Fatalf("the last value is kept: %v", rows)
	}
	if got := sink.rows["things__tags"]; len(got) != 1 || got[0]["value"] != int64(3) {
		t.Fatalf("the last list is kept: %v", got)
	}
	want := map[string]struct {
		fields  string
		dropped int64
	}{
		"foo":          {"Foo,foo,FOO ", 2},
		"dup":          {"dup", 1},
		"n__v_text":    {"N,n ", 1},
		"things__tags": {"Tags,tags", 1},
	}
	got := n.Stats().Collisions
	if len(got) != len(want) {
		t.Fatalf("collisions: %+v", got)
	}
	for _, c := range got {
		w, ok := want[c.Column]
		if !ok || c.Table != "things" || strings.Join(c.Fields, ",") != w.fields || c.Dropped != w.dropped {
			t.Errorf("collision %+v, want %+v", c, w)
		}
	}
}

func TestCollisionsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"id": "x"`)
	for i := range 300 {
		fmt.Fprintf(&b, `, "k%d": 1, "K%d": 2`, i, i)
	}
	b.WriteString("}")
	n, _ := normalizeAll(t, nil, Options{}, b.String())
	got := n.Stats().Collisions
	var dropped int64
	for _, c := range got {
		dropped += c.Dropped
	}
	if len(got) != maxCollisions || dropped != 300 {
		t.Fatalf("%d collisions kept, %d values counted", len(got), dropped)
	}
}

package simulator

import (
	"math"
	"testing"
	"time"
)

// TestAppendRecord checks the whole encoder against encoding/json on a record with
// every value type a record may hold, and that keys keep their order.
func TestAppendRecord(t *testing.T) {
	at := time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.FixedZone("CET", 3600))
	rec := record{
		{"z_first", nil},
		{"a_string", `"quoted" <b>`},
		{"bool", true},
		{"int", -42},
		{"float", 0.25},
		{"nan", math.NaN()},
		{"time", at},
		{"strings", []string{"a", "é"}},
		{"empty_strings", []string{}},
		{"nested", record{{"k", 1}}},
		{"records", []record{{{"a", 1}}, {}}},
		{"raw", rawJSON(`{"x":[1,2]}`)},
		{"other", map[string]int{"m": 1}},
	}
	b := appendRecord(nil, rec)
	want := `{"z_first":null,"a_string":"\"quoted\" \u003cb\u003e","bool":true,"int":-42,"float":0.25,"nan":null,` +
		`"time":"2024-02-29T22:59:58.123456Z","strings":["a","é"],"empty_strings":[],"nested":{"k":1},` +
		`"records":[{"a":1},{}],"raw":{"x":[1,2]},"other":{"m":1}}`
	if string(b) != want {
		t.Errorf("appendRecord =\n%s\nwant\n%s", b, want)
	}
	if m, err := rec.MarshalJSON(); err != nil || string(m) != want {
		t.Errorf("MarshalJSON = %s, %v", m, err)
	}
}

func TestRecordSetGetWithout(t *testing.T) {
	r := record{{"a", 1}, {"b", 2}}
	r = r.set("b", 3).set("c", 4)
	if v, ok := r.get("b"); !ok || v != 3 || len(r) != 3 {
		t.Errorf("set replaced b with %v in %v", v, r)
	}
	if _, ok := r.get("missing"); ok {
		t.Error("get found a missing key")
	}
	r = r.without("a")
	if _, ok := r.get("a"); ok || len(r) != 2 || r[0].k != "b" {
		t.Errorf("without a: %v", r)
	}
}

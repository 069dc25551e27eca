package normalize

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseKeepsOrderAndTypes(t *testing.T) {
	v, err := Parse([]byte(` {"z": 1, "a": [true, null, -2.5e3, "q\"\u00e9\ud83d\udcc8"], "m": {}} `))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Fields) != 3 || v.Fields[0].Key != "z" || v.Fields[1].Key != "a" || v.Fields[2].Key != "m" {
		t.Fatalf("fields %+v", v.Fields)
	}
	a := v.Fields[1].Value.Items
	if a[0].Kind != KindBool || !a[0].Bool || a[1].Kind != KindNull || a[2].Str != "-2.5e3" || a[3].Str != "q\"é📈" {
		t.Fatalf("items %+v", a)
	}
	if got, ok := v.Get("z"); !ok || got.Str != "1" {
		t.Fatal("Get")
	}
}

func TestParseRejectsWhatIsNotJSON(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `-`, `"abc`, "\"a\x01\"", `{"a":1} x`, `tru`, `"\x"`, `{1: 2}`, `[1 2]`} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted it", in)
		}
	}
}

// FuzzParse holds the parser to encoding/json: the same inputs accepted, the same
// values read, and appendJSON writing them back faithfully.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5, "x", null, true, {"b": {}}]}`, `"\ud83d\ude00"`, `[]`, `{"":""}`, `"\ud800"`, "\"\xff\"", `1e400`, `-0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if json.Valid(data) != (err == nil) {
			t.Fatalf("Parse(%q): err %v, encoding/json valid %v", data, err, json.Valid(data))
		}
		if err != nil {
			return
		}
		var want, got any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&want) != nil {
			return
		}
		back := appendJSON(nil, v)
		dec = json.NewDecoder(bytes.NewReader(back))
		dec.UseNumber()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("appendJSON wrote invalid JSON %q: %v", back, err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("round trip of %q: %#v != %#v", data, got, want)
		}
	})
}

package jsonv

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
// values read, and AppendJSON writing them back faithfully.
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
		back := AppendJSON(nil, v)
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

func TestObjectEachAndArrayEach(t *testing.T) {
	var keys []string
	var vals []string
	err := ObjectEach([]byte(` {"a": [1, {"x": "]"}], "b\u00e9": null, "c": "s"} `), func(k string, v []byte) error {
		keys = append(keys, k)
		vals = append(vals, string(v))
		return nil
	})
	if err != nil || !reflect.DeepEqual(keys, []string{"a", "bé", "c"}) || vals[0] != `[1, {"x": "]"}]` || vals[1] != "null" || vals[2] != `"s"` {
		t.Fatalf("%v %q %v", keys, vals, err)
	}
	var elems []string
	err = ArrayEach([]byte(`[{"id": 1}, "two", [3], 4.5e1]`), func(e []byte) error {
		elems = append(elems, string(e))
		return nil
	})
	if err != nil || !reflect.DeepEqual(elems, []string{`{"id": 1}`, `"two"`, `[3]`, `4.5e1`}) {
		t.Fatalf("%q %v", elems, err)
	}
	for _, bad := range []string{`{"a": 1`, `{"a": 1} x`, `{"a" 1}`, `[1, 2`, `[1,]`, `{"a": "\q"}`, `[tru]`} {
		if ObjectEach([]byte(bad), func(string, []byte) error { return nil }) == nil && ArrayEach([]byte(bad), func([]byte) error { return nil }) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzValid holds the skipping validator to encoding/json.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"\u00e9\ud83d\ude00"`, `[1e5, -0.5, true]`, `{"a":1,}`, `"\x"`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if Valid(data) != json.Valid(data) {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", data, Valid(data), json.Valid(data))
		}
		var n int
		var joined []byte
		err := ArrayEach(data, func(e []byte) error {
			if !json.Valid(e) {
				t.Fatalf("element %q is not valid JSON", e)
			}
			n++
			joined = append(joined, e...)
			return nil
		})
		var arr []json.RawMessage
		if err == nil && (json.Unmarshal(data, &arr) != nil || len(arr) != n) {
			t.Fatalf("ArrayEach(%q) found %d elements, encoding/json %d", data, n, len(arr))
		}
	})
}

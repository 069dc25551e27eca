package jsonv

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestUnambiguous: what encoding/json takes silently but readers disagree on is
// refused, with where it is; everything else valid passes.
func TestUnambiguous(t *testing.T) {
	for _, tt := range []struct {
		in     string
		offset int // -1: accepted
	}{
		{`{"a": 1, "b": [1, {"c": "\u00e9\ud83d\udcc8"}], "d": {}}`, -1},
		{`{"a": {"x": 1}, "b": {"x": 2}}`, -1}, // the same key in two objects
		{`{"a": 1, "a": 2}`, 9},
		{`{"mcpServers": {"s": {}, "t": {}, "s": {"command": "x"}}}`, 34},
		{`{"a": 1, "\u0061": 2}`, 9}, // the same key, escaped
		{`[{"k": 1}, {"k": 1, "k": 1}]`, 20},
		{"{\"a\": \"\xff\"}", 7},
		{"{\"\xc3\": 1}", 2},
		{`{"a": "\ud800"}`, 7},
		{`{"a": "x\udc00y"}`, 8},
		{`["\ud800\u0041"]`, 2},
		{`{"a": }`, 6},
	} {
		err := Unambiguous([]byte(tt.in))
		if tt.offset < 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.in, err)
			}
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != tt.offset {
			t.Errorf("%q: %v, want an error at byte %d", tt.in, err, tt.offset)
			continue
		}
		if json.Valid([]byte(tt.in)) && !errors.Is(err, ErrAmbiguous) {
			t.Errorf("%q: %v, want %v", tt.in, err, ErrAmbiguous)
		}
	}
}

// FuzzUnambiguous: what Unambiguous accepts, encoding/json accepts too.
func FuzzUnambiguous(f *testing.F) {
	for _, s := range []string{`{"a": [1, {"b": "\ud83d\ude00"}]}`, `{"a":1,"a":2}`, `"\ud800"`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if Unambiguous(data) == nil && !json.Valid(data) {
			t.Fatalf("Unambiguous accepted %q, which encoding/json refuses", data)
		}
	})
}

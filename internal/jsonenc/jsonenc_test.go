package jsonenc

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// stringCases are the strings whose escaping differs most between encoders.
var stringCases = []string{
	"",
	"plain ascii",
	`say "hi"`,
	`back\slash`,
	"tab\tnew\nline\rcr",
	"\b\f backspace and form feed",
	"\x00\x01\x1f\x7f control",
	"<script>&amp;</script>",
	"line\u2028separator\u2029paragraph",
	"é 売上 📈 заказы",
	"\xff invalid \xc3 utf-8 \xed\xa0\x80 surrogate",
	"valid \uFFFD replacement char",
	`customer "VIP" list`,
	"O'Brien",
	strings.Repeat("ab\"c", 100),
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range stringCases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
		// It appends: what the buffer held stays.
		if got := AppendString([]byte("x:"), s); string(got) != "x:"+string(want) {
			t.Errorf("appendString after a prefix = %s", got)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString(nil, s)
		if !json.Valid(b) {
			t.Fatalf("AppendString(%q) = %s is not valid JSON", s, b)
		}
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("AppendString(%q) decodes to %q", s, back)
		}
		if want, _ := json.Marshal(s); string(b) != string(want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json writes %s", s, b, want)
		}
	})
}

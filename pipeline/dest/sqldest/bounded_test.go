package sqldest

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

func TestTrimStatementDropsOnlyWhatFollowsTheLastToken(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                                    "SELECT 1",
		"SELECT 1;":                                   "SELECT 1",
		"SELECT 1 ;  ; \n":                            "SELECT 1",
		"SELECT 1 -- done":                            "SELECT 1",
		"SELECT 1; -- done\n":                         "SELECT 1",
		"SELECT 1 /* a ; comment */ ;":                "SELECT 1",
		"SELECT ';' AS s;":                            "SELECT ';' AS s",
		"SELECT '--' AS s -- c":                       "SELECT '--' AS s",
		`SELECT "a;--" FROM t;`:                       `SELECT "a;--" FROM t`,
		"SELECT 'it''s;' ;":                           "SELECT 'it''s;'",
		`SELECT E'\';' ;`:                             `SELECT E'\';'`,
		"SELECT $$ ; -- $$ ;":                         "SELECT $$ ; -- $$",
		"SELECT $tag$ ;$$; $tag$;":                    "SELECT $tag$ ;$$; $tag$",
		"SELECT 1 /* outer /* inner */ still */ ;":    "SELECT 1",
		"SELECT x$1 FROM t;":                          "SELECT x$1 FROM t",
		"SELECT 'unterminated;":                       "SELECT 'unterminated;",
		"-- only a comment":                           "",
		"SELECT 1 -- a\n-- b\n;":                      "SELECT 1",
		"WITH a AS (SELECT 1) SELECT * FROM a; /**/ ": "WITH a AS (SELECT 1) SELECT * FROM a",
	} {
		if got := TrimStatement(in); got != want {
			t.Errorf("TrimStatement(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBoundCell(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	for _, c := range []struct {
		name string
		v    any
		kind CellKind
		n    int
		want any
		cut  bool
	}{
		{"short text", "abc", Text, 10, "abc", false},
		{"long text, cut at a character", long, Text, 14, strings.Repeat("é", 5) + dest.CutMark, true},
		{"bytes as text", []byte("abcdef"), Text, 5, "ab" + dest.CutMark, true},
		{"whole JSON decoded", `{"a":[1,2]}`, JSONText, 100, map[string]any{"a": []any{"1", "2"}}, false},
		{"cut JSON stays text", `{"a":[1,2,3,4]}`, JSONText, 9, `{"a":[` + dest.CutMark, true},
		{"a number", int64(7), Fixed, 100, int64(7), false},
		{"no room for a number", int64(7), Fixed, 3, dest.CutMark, true},
		{"null", nil, Text, 0, nil, false},
	} {
		got, size, cut := boundCell(c.v, c.kind, c.n)
		if m, ok := got.(map[string]any); ok {
			// json.Number prints as the number it holds.
			l := m["a"].([]any)
			got = map[string]any{"a": []any{l[0].(interface{ String() string }).String(), l[1].(interface{ String() string }).String()}}
		}
		if !equal(got, c.want) || cut != c.cut {
			t.Errorf("%s: got %#v (cut %v), want %#v (cut %v)", c.name, got, cut, c.want, c.cut)
		}
		if cut && size > max(c.n, len(dest.CutMark)) {
			t.Errorf("%s: counts %d bytes against a bound of %d", c.name, size, c.n)
		}
	}
}

func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !equal(x[k], y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestBoundRowKeepsTheFirstRowWithinTheByteBound(t *testing.T) {
	vals := []any{strings.Repeat("a", 50), strings.Repeat("b", 50), strings.Repeat("c", 50)}
	kinds := []CellKind{Text, Text, Text}
	row, size, cuts := boundRow(vals, kinds, 1000, 120, true)
	if row == nil || size > 120 || cuts != 1 || row[0] != vals[0] || row[1] != vals[1] || !strings.HasSuffix(row[2].(string), dest.CutMark) {
		t.Fatalf("the first row: %v, %d bytes, %d cut", row, size, cuts)
	}
	if row, _, _ := boundRow(vals, kinds, 1000, 120, false); row != nil {
		t.Fatalf("a later row past the bound was kept: %v", row)
	}
}

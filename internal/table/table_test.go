package table

import (
	"bytes"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

func TestValues(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600))
	tests := []struct {
		v    any
		text string
	}{
		{nil, ""},
		{"é|x", "é|x"},
		{int64(-3), "-3"},
		{true, "true"},
		{at, "2026-01-02T02:04:05.0000006Z"},
		{[]byte{0xca, 0xfe}, "cafe"},
		{[]any{int64(1), "a"}, `[1,"a"]`},
		{map[string]any{"k": at}, `{"k":"2026-01-02T02:04:05.0000006Z"}`},
		{big.NewInt(12), "12"},
	}
	for _, tt := range tests {
		if got := Text(tt.v); got != tt.text {
			t.Errorf("Text(%#v) = %q, want %q", tt.v, got, tt.text)
		}
	}
	if JSON(at) != "2026-01-02T02:04:05.0000006Z" || JSON(big.NewInt(5)) != "5" {
		t.Fatal("JSON of a time or a huge integer")
	}
}

func TestFormats(t *testing.T) {
	res := &dest.QueryResult{Columns: []string{"a", "b|c"}, Rows: [][]any{{"x|y\nz", nil}, {strings.Repeat("w", 300), int64(1)}}}
	md := Markdown(res.Columns, res.Rows, 10)
	want := "| a | b\\|c |\n|---|---|\n| x\\|y z | NULL |\n| wwwwwwwww… | 1 |\n"
	if md != want {
		t.Fatalf("markdown:\n%s\nwant\n%s", md, want)
	}
	var b bytes.Buffer
	if err := Write(&b, res, "csv"); err != nil || !strings.HasPrefix(b.String(), "a,b|c\n\"x|y\nz\",\n") {
		t.Fatalf("csv: %q %v", b.String(), err)
	}
	b.Reset()
	if err := Write(&b, res, "json"); err != nil || !strings.Contains(b.String(), `"b|c": null`) {
		t.Fatalf("json: %s %v", b.String(), err)
	}
	b.Reset()
	if err := Write(&b, res, "table"); err != nil || !strings.HasPrefix(b.String(), "a") || !strings.Contains(b.String(), `x|y\nz`) {
		t.Fatalf("table: %q %v", b.String(), err)
	}
}

package loadpkg

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

func TestRowsRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "1749667187.541553")
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	tbl := &normalize.Table{Name: "resource_catalog"}
	child := &normalize.Table{Name: "resource_catalog__tags"}
	rows := [][]normalize.Cell{
		{{Type: normalize.Text, Str: "é 売上 \"q\""}, {Type: normalize.BigInt, Int: -1 << 62}, {Type: normalize.Double, Num: math.Pi},
			{Type: normalize.Bool, Int: 1}, {Type: normalize.Timestamp, Int: 1_692_227_573_245_493}, {Type: normalize.JSON, Str: `{"a":[1]}`}, {}},
		{{}, {Type: normalize.Text, Str: ""}},
		{},
	}
	for _, r := range rows {
		if err := w.Row(tbl, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Row(child, []normalize.Cell{{Type: normalize.Text, Str: "x"}}); err != nil {
		t.Fatal(err)
	}
	m, err := w.Finish("1749667187.541553")
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows["resource_catalog"] != 3 || m.Rows["resource_catalog__tags"] != 1 {
		t.Fatalf("manifest %+v", m)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Tables(); !reflect.DeepEqual(got, []string{"resource_catalog", "resource_catalog__tags"}) {
		t.Fatalf("tables %v", got)
	}
	var got [][]normalize.Cell
	err = r.Rows("resource_catalog", func(cells []normalize.Cell) error {
		cp := make([]normalize.Cell, len(cells))
		for i, c := range cells {
			c.Str = strings.Clone(c.Str) // valid only during the call
			cp[i] = c
		}
		got = append(got, cp)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if len(rows[i]) == 0 && len(got[i]) == 0 {
			continue
		}
		if !reflect.DeepEqual(got[i], rows[i]) {
			t.Fatalf("row %d: %+v, want %+v", i, got[i], rows[i])
		}
	}
}

func TestIncompleteAndCorruptPackagesAreRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	w, _ := Create(dir)
	w.Row(&normalize.Table{Name: "t"}, []normalize.Cell{{Type: normalize.Text, Str: "abc"}})
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Fatalf("a package without its manifest: %v", err)
	}
	if _, err := w.Finish("1"); err != nil {
		t.Fatal(err)
	}
	// Cut the table file short: the reader must say so, not load half a row.
	path := filepath.Join(dir, "t.rows")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-2], 0o600)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Rows("t", func([]normalize.Cell) error { return nil }); err == nil {
		t.Fatal("a truncated table was read without error")
	}
	// A file with fewer rows than the manifest says.
	os.WriteFile(path, nil, 0o600)
	if err := r.Rows("t", func([]normalize.Cell) error { return nil }); err == nil || !strings.Contains(err.Error(), "manifest says 1") {
		t.Fatalf("a missing row: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("Abort left the package")
	}
}

func FuzzDecodeRow(f *testing.F) {
	f.Add(appendCell(appendCell([]byte{2}, normalize.Cell{Type: normalize.Text, Str: "x"}), normalize.Cell{Type: normalize.Double, Num: 1}))
	f.Add([]byte{1, tagText, 200})
	f.Fuzz(func(t *testing.T, b []byte) {
		cells, err := decodeRow(b, nil)
		if err != nil {
			return
		}
		// What decodes re-encodes to a row that decodes the same.
		enc := []byte{}
		enc = appendUvarint(enc, len(cells))
		for _, c := range cells {
			enc = appendCell(enc, c)
		}
		again, err := decodeRow(enc, nil)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", cells, err)
		}
		enc2 := appendUvarint(nil, len(again))
		for _, c := range again {
			enc2 = appendCell(enc2, c)
		}
		if string(enc2) != string(enc) { // bytes, not values: NaN is not equal to itself
			t.Fatalf("re-encoding %+v is not stable", cells)
		}
	})
}

func appendUvarint(b []byte, n int) []byte {
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

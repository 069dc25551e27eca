// Package table writes query results for people and agents: aligned text for a
// terminal, Markdown for an agent, CSV and JSON for scripts, with DuckDB's values
// (timestamps, lists, structs, huge integers) turned into plain text or JSON.
package table

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// Write prints a query result as an aligned table ("table"), JSON (an array of
// objects), CSV or Markdown.
func Write(w io.Writer, res *dest.QueryResult, format string) error {
	switch format {
	case "markdown":
		_, err := io.WriteString(w, Markdown(res.Columns, res.Rows, 200))
		return err
	case "json":
		rows := Objects(res.Columns, res.Rows)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(res.Columns); err != nil {
			return err
		}
		for _, r := range res.Rows {
			rec := make([]string, len(r))
			for i, v := range r {
				rec[i] = Text(v)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(res.Columns, "\t"))
		for _, r := range res.Rows {
			cells := make([]string, len(r))
			for i, v := range r {
				cells[i] = cellText(Text(v))
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		return tw.Flush()
	}
}

// cellText fits a value on one line of a table.
func cellText(s string) string {
	s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		s = string(r[:59]) + "…"
	}
	return s
}

// Text writes a DuckDB value as text: NULL as empty in CSV, timestamps in RFC 3339.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return hex.EncodeToString(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	case map[string]any, []any:
		b, _ := json.Marshal(JSON(x))
		return string(b)
	}
	return fmt.Sprint(v)
}

// JSON makes a DuckDB value JSON-friendly.
func JSON(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int64, int32, int16, int8, uint64, uint32, uint16, uint8, float64, float32, json.Number:
		return x
	case *big.Int:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return hex.EncodeToString(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = JSON(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSON(e)
		}
		return out
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// Objects turns rows into JSON-friendly objects, column name to value.
func Objects(columns []string, rows [][]any) []map[string]any {
	out := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		m := make(map[string]any, len(r))
		for i, v := range r {
			m[columns[i]] = JSON(v)
		}
		out = append(out, m)
	}
	return out
}

// Markdown renders rows as a Markdown table, each cell cut to maxCell runes.
func Markdown(columns []string, rows [][]any, maxCell int) string {
	var b strings.Builder
	esc := func(s string) string {
		s = strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ").Replace(s)
		if utf8.RuneCountInString(s) > maxCell {
			s = string([]rune(s)[:maxCell-1]) + "…"
		}
		return s
	}
	b.WriteString("|")
	for _, c := range columns {
		b.WriteString(" " + esc(c) + " |")
	}
	b.WriteString("\n|")
	for range columns {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("|")
		for _, v := range r {
			cell := Text(v)
			if v == nil {
				cell = "NULL"
			}
			b.WriteString(" " + esc(cell) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

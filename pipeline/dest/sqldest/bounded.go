package sqldest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// CellKind is how a cell of a bounded query comes back.
type CellKind int

const (
	// Fixed is a value of bounded size (a number, a time, a UUID), as the driver gives it.
	Fixed CellKind = iota
	// Text is text, cut in SQL to the cell bound plus one character.
	Text
	// JSONText is a JSON value, or a nested one (a list, a struct, a map) rendered as
	// JSON, cut in SQL likewise; decoded when it came whole.
	JSONText
)

// Cutter is a dialect's part of a bounded query: the expression reading column col
// (quoted) of the type named typ with at most n+1 characters of it, and how it comes
// back. A value longer than n+1 characters is longer than n bytes: so the cut is seen.
type Cutter func(col, typ string, n int) (string, CellKind)

// Shape is the columns of a query's answer and how each comes back bounded.
type Shape struct {
	Columns []string
	Types   []string // the database's type names
	Kinds   []CellKind
}

// ProbeSQL reads none of a query's rows: its columns and their types.
func ProbeSQL(query string) string {
	return "SELECT * FROM (\n" + TrimStatement(query) + "\n) AS _q LIMIT 0"
}

// ProbeShape runs ProbeSQL and says how each column is cut.
func ProbeShape(ctx context.Context, q Queryer, query string, cut Cutter, cellBytes int) (*Shape, error) {
	rows, err := q.QueryContext(ctx, ProbeSQL(query))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sh := &Shape{}
	if sh.Columns, err = rows.Columns(); err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		sh.Types = append(sh.Types, t.DatabaseTypeName())
		_, kind := cut("c", t.DatabaseTypeName(), cellBytes)
		sh.Kinds = append(sh.Kinds, kind)
	}
	for rows.Next() {
	}
	return sh, rows.Err()
}

// BoundedSQL reads a query's answer within b: its columns renamed c1…cn (positional,
// so that duplicate names survive), variable-size cells cut by cut, and at most
// b.Rows+1 rows, so that the database stops producing past the bound and the extra
// row tells that there are more.
func BoundedSQL(query string, sh *Shape, b dest.Bounds, cut Cutter) string {
	names := make([]string, len(sh.Types))
	exprs := make([]string, len(sh.Types))
	for i, t := range sh.Types {
		names[i] = fmt.Sprintf("c%d", i+1)
		exprs[i], _ = cut(dest.Ident(names[i]), t, b.CellBytes)
	}
	return fmt.Sprintf("SELECT %s FROM (\n%s\n) AS _q(%s) LIMIT %d", strings.Join(exprs, ", "), TrimStatement(query), strings.Join(names, ", "), b.Rows+1)
}

// BoundedQuery runs a query within b on q: its shape probed first (ProbeShape), then
// the bounded form (BoundedSQL), collected within b.
func BoundedQuery(ctx context.Context, q Queryer, query string, b dest.Bounds, cut Cutter) (*dest.QueryResult, error) {
	b = b.Clamp()
	sh, err := ProbeShape(ctx, q, query, cut, b.CellBytes)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, BoundedSQL(query, sh, b, cut))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return Collect(rows, sh, b)
}

// Collect reads rows shaped as sh within b (a Collector reading one batch).
func Collect(rows *sql.Rows, sh *Shape, b dest.Bounds) (*dest.QueryResult, error) {
	c := NewCollector(sh, b)
	if _, _, err := c.Read(rows); err != nil {
		return nil, err
	}
	return c.Result(), nil
}

// Collector gathers an answer within bounds from one batch of rows or several (a
// cursor's): at most b.Rows rows, cells of at most b.CellBytes, b.Bytes in all. A cell
// past its bound is cut and ends in dest.CutMark; the row that would pass the byte
// bound is left out (the first row is kept, its later cells cut to what is left), and
// Truncated says that more rows exist.
type Collector struct {
	res  *dest.QueryResult
	sh   *Shape
	b    dest.Bounds
	vals []any
	ptrs []any
	full bool // the bounds are met: one more row would make the answer truncated
	done bool
}

// NewCollector starts an answer shaped as sh within b.
func NewCollector(sh *Shape, b dest.Bounds) *Collector {
	c := &Collector{res: &dest.QueryResult{Columns: sh.Columns, Types: sh.Types}, sh: sh, b: b.Clamp(),
		vals: make([]any, len(sh.Columns)), ptrs: make([]any, len(sh.Columns))}
	for i := range c.vals {
		c.ptrs[i] = &c.vals[i]
	}
	return c
}

// Read reads a batch of rows; more says whether another batch is wanted (false once
// the answer is decided), seen how many rows the batch held.
func (c *Collector) Read(rows *sql.Rows) (more bool, seen int, err error) {
	for !c.done && rows.Next() {
		seen++
		if c.full || len(c.res.Rows) == c.b.Rows {
			c.res.Truncated, c.done = true, true
			break
		}
		clear(c.vals)
		if err := rows.Scan(c.ptrs...); err != nil {
			return false, seen, err
		}
		row, size, cuts := boundRow(c.vals, c.sh.Kinds, c.b.CellBytes, c.b.Bytes-c.res.Bytes, len(c.res.Rows) == 0)
		if row == nil {
			c.res.Truncated, c.done = true, true
			break
		}
		c.res.Rows = append(c.res.Rows, row)
		c.res.Bytes += size
		c.res.CutCells += cuts
		c.full = c.res.Bytes >= c.b.Bytes
	}
	return !c.done, seen, rows.Err()
}

// Full says the bounds are met: the next batch needs one row only, to tell whether
// the answer is truncated.
func (c *Collector) Full() bool { return c.full || len(c.res.Rows) == c.b.Rows }

// Result is the answer so far.
func (c *Collector) Result() *dest.QueryResult { return c.res }

// boundRow bounds one row's cells; nil when it does not fit in room, unless it is the
// first row, which is kept with its cells cut to the room left.
func boundRow(vals []any, kinds []CellKind, cellBytes, room int, first bool) (row []any, size, cuts int) {
	row = make([]any, len(vals))
	for i, v := range vals {
		out, n, cut := boundCell(v, kinds[i], cellBytes)
		row[i], size = out, size+n
		if cut {
			cuts++
		}
	}
	if size <= room {
		return row, size, cuts
	}
	if !first {
		return nil, 0, 0
	}
	size, cuts = 0, 0
	for i, v := range vals {
		out, n, cut := boundCell(v, kinds[i], max(min(cellBytes, room-size), 0))
		row[i], size = out, size+n
		if cut {
			cuts++
		}
	}
	return row, size, cuts
}

// fixedSize is what a value of fixed size counts against the byte bound.
const fixedSize = 16

// boundCell cuts one cell to n bytes, dest.CutMark included; size is what it counts
// against the byte bound.
func boundCell(v any, kind CellKind, n int) (out any, size int, cut bool) {
	switch s := v.(type) {
	case nil:
		return nil, 4, false
	case []byte:
		return boundCell(string(s), kind, n)
	case string:
		if len(s) > n {
			// The mark counts too: a cut cell is at most n bytes (unless n leaves no
			// room for the mark itself).
			keep := max(n-len(dest.CutMark), 0)
			kept := cutText(s, keep)
			return kept + dest.CutMark, len(kept) + len(dest.CutMark), true
		}
		if kind == JSONText {
			if decoded, ok := decodeJSON(s); ok {
				return decoded, len(s), false
			}
		}
		return s, len(s), false
	}
	if fixedSize > n {
		return dest.CutMark, len(dest.CutMark), true
	}
	return v, fixedSize, false
}

// cutText is s cut to at most n bytes, at a character boundary.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// decodeJSON decodes a whole JSON text, numbers kept as written.
func decodeJSON(s string) (any, bool) {
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return nil, false
	}
	return v, true
}

// TrimStatement is a statement without what may follow its last token: blanks,
// comments and semicolons. Strings ('…', E'…', $tag$…$tag$), quoted names and
// comments (-- and /* */, nested as PostgreSQL nests them) are skipped whole, so a
// semicolon or dash inside them is kept. An unterminated one leaves the statement as
// it is, for the database to report.
func TrimStatement(q string) string {
	end := 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == ';':
			i++
			continue
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return q[:end]
			}
			i += j + 1
			continue
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			j, ok := skipBlockComment(q, i)
			if !ok {
				return q
			}
			i = j
			continue
		case c == '\'':
			j, ok := skipQuoted(q, i+1, '\'', (i > 0 && (q[i-1] == 'E' || q[i-1] == 'e')) && !identByte(q, i-2))
			if !ok {
				return q
			}
			i = j
		case c == '"':
			j, ok := skipQuoted(q, i+1, '"', false)
			if !ok {
				return q
			}
			i = j
		case c == '$':
			if tag, ok := dollarTag(q, i); ok && !identByte(q, i-1) {
				j := strings.Index(q[i+len(tag):], tag)
				if j < 0 {
					return q
				}
				i += len(tag) + j + len(tag)
			} else {
				i++
			}
		default:
			i++
		}
		end = i
	}
	return q[:end]
}

// identByte reports whether q[i] is part of a name (so a quote after it is not E'…').
func identByte(q string, i int) bool {
	if i < 0 || i >= len(q) {
		return false
	}
	c := q[i]
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// skipQuoted skips to past the closing quote of a string or name that begins at i; a
// doubled quote is one quote, and backslash escapes when backslashes is set.
func skipQuoted(q string, i int, quote byte, backslashes bool) (int, bool) {
	for i < len(q) {
		switch q[i] {
		case '\\':
			if backslashes {
				i += 2
				continue
			}
		case quote:
			if i+1 < len(q) && q[i+1] == quote {
				i += 2
				continue
			}
			return i + 1, true
		}
		i++
	}
	return i, false
}

// skipBlockComment skips a /* */ comment beginning at i, nested ones included.
func skipBlockComment(q string, i int) (int, bool) {
	depth := 0
	for i < len(q) {
		switch {
		case strings.HasPrefix(q[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(q[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i, true
			}
		default:
			i++
		}
	}
	return i, false
}

// dollarTag is the $tag$ of a dollar-quoted string beginning at i.
func dollarTag(q string, i int) (string, bool) {
	j := i + 1
	for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z' || q[j] >= 0x80 || j > i+1 && q[j] >= '0' && q[j] <= '9') {
		j++
	}
	if j < len(q) && q[j] == '$' {
		return q[i : j+1], true
	}
	return "", false
}

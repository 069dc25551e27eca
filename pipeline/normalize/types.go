package normalize

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"
)

// DataType is a column's type, in dlt's vocabulary.
type DataType string

const (
	Text      DataType = "text"
	BigInt    DataType = "bigint"
	Double    DataType = "double"
	Bool      DataType = "bool"
	Timestamp DataType = "timestamp" // with time zone, UTC
	JSON      DataType = "json"
)

// Python's None, True and False as Secoda's Django API sometimes prints them, in
// strings ("last_login": "None", "pending": "False"): read as null, true and false.
const (
	PythonNone  = "None"
	PythonTrue  = "True"
	PythonFalse = "False"
)

// DataTypes lists the types, for messages.
var DataTypes = []DataType{Text, BigInt, Double, Bool, Timestamp, JSON}

// Cell is one value of a row, unboxed: rows of millions of cells should not allocate
// one interface each.
type Cell struct {
	Type DataType // "" for null
	Int  int64    // bigint; bool as 0 or 1; timestamp as Unix microseconds
	Num  float64  // double
	Str  string   // text; json's encoded text
}

// Null reports whether the cell holds nothing.
func (c Cell) Null() bool { return c.Type == "" }

// Time is a timestamp cell's value.
func (c Cell) Time() time.Time { return time.UnixMicro(c.Int).UTC() }

// Any is the cell as a plain Go value: nil, string, int64, float64, bool or time.Time;
// json comes as its text.
func (c Cell) Any() any {
	switch c.Type {
	case Text, JSON:
		return c.Str
	case BigInt:
		return c.Int
	case Double:
		return c.Num
	case Bool:
		return c.Int != 0
	case Timestamp:
		return c.Time()
	}
	return nil
}

func textCell(s string) Cell    { return Cell{Type: Text, Str: s} }
func bigintCell(n int64) Cell   { return Cell{Type: BigInt, Int: n} }
func doubleCell(f float64) Cell { return Cell{Type: Double, Num: f} }
func timeCell(t time.Time) Cell { return Cell{Type: Timestamp, Int: t.UnixMicro()} }
func jsonCell(text string) Cell { return Cell{Type: JSON, Str: text} }
func boolCell(b bool) Cell {
	if b {
		return Cell{Type: Bool, Int: 1}
	}
	return Cell{Type: Bool}
}

// scalarCell types a JSON scalar as dlt would: integers as bigint (past int64, double),
// other numbers as double, ISO 8601 date-times as timestamp, other strings as text.
// Where dlt does not: Python's None, True and False printed as strings are null, true
// and false (a text column gets "True" and "False" back, as dlt writes booleans there).
func scalarCell(v jsonv.Value) Cell {
	switch v.Kind {
	case jsonv.KindBool:
		return boolCell(v.Bool)
	case jsonv.KindNumber:
		if isIntegerLiteral(v.Str) {
			if n, err := strconv.ParseInt(v.Str, 10, 64); err == nil {
				return bigintCell(n)
			}
		}
		f, _ := strconv.ParseFloat(v.Str, 64)
		return doubleCell(f)
	case jsonv.KindString:
		switch v.Str {
		case PythonNone:
			return Cell{}
		case PythonTrue:
			return boolCell(true)
		case PythonFalse:
			return boolCell(false)
		}
		if t, ok := parseISOTimestamp(v.Str); ok {
			return timeCell(t)
		}
		return textCell(v.Str)
	}
	return Cell{}
}

func isIntegerLiteral(s string) bool {
	return !strings.ContainsAny(s, ".eE")
}

// parseISOTimestamp detects dlt's iso_timestamp: a date and a time, T or space
// between, optional fraction, and Z, an offset, or nothing (taken as UTC).
func parseISOTimestamp(s string) (time.Time, bool) {
	if len(s) < 19 || len(s) > 40 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' {
		return time.Time{}, false
	}
	layouts := [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}
	norm := s
	if s[10] == 't' {
		norm = s[:10] + "T" + s[11:]
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, norm); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// coerce converts a cell into another column type the way dlt's coerce_value does;
// false when the value does not fit and must go to a variant column.
func coerce(c Cell, to DataType) (Cell, bool) {
	if c.Type == to || c.Null() {
		return c, true
	}
	switch to {
	case Text:
		switch c.Type {
		case BigInt:
			return textCell(strconv.FormatInt(c.Int, 10)), true
		case Double:
			return textCell(formatDouble(c.Num)), true
		case Bool:
			if c.Int != 0 {
				return textCell("True"), true
			}
			return textCell("False"), true
		case Timestamp:
			return textCell(c.Time().Format("2006-01-02T15:04:05.999999-07:00")), true
		case JSON:
			return textCell(c.Str), true
		}
	case BigInt:
		switch c.Type {
		case Double:
			if c.Num == math.Trunc(c.Num) && math.Abs(c.Num) < 1<<63 {
				return bigintCell(int64(c.Num)), true
			}
		case Text:
			t := strings.TrimSpace(c.Str)
			if h, ok := strings.CutPrefix(t, "0x"); ok {
				if n, err := strconv.ParseInt(h, 16, 64); err == nil {
					return bigintCell(n), true
				}
			} else if n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64); err == nil && validUnderscores(t) {
				return bigintCell(n), true
			}
		}
	case Double:
		switch c.Type {
		case BigInt:
			return doubleCell(float64(c.Int)), true
		case Text:
			t := strings.TrimSpace(c.Str)
			if h, ok := strings.CutPrefix(t, "0x"); ok {
				if n, err := strconv.ParseInt(h, 16, 64); err == nil {
					return doubleCell(float64(n)), true
				}
			} else if f, err := strconv.ParseFloat(t, 64); err == nil {
				return doubleCell(f), true
			}
		}
	case Timestamp:
		switch c.Type {
		case BigInt:
			return timeCell(time.Unix(c.Int, 0)), true
		case Double:
			if !math.IsNaN(c.Num) && !math.IsInf(c.Num, 0) && math.Abs(c.Num) < 1e12 {
				sec, frac := math.Modf(c.Num)
				return timeCell(time.Unix(int64(sec), int64(frac*1e9))), true
			}
		case Text:
			if t, ok := parseISOTimestamp(strings.TrimSpace(c.Str)); ok {
				return timeCell(t), true
			}
			if f, err := strconv.ParseFloat(strings.TrimSpace(c.Str), 64); err == nil && math.Abs(f) < 1e12 {
				sec, frac := math.Modf(f)
				return timeCell(time.Unix(int64(sec), int64(frac*1e9))), true
			}
		}
	case Bool:
		switch c.Type {
		case Text:
			switch strings.ToLower(c.Str) {
			case "yes", "true", "t", "y", "1":
				return boolCell(true), true
			case "no", "false", "f", "n", "0":
				return boolCell(false), true
			}
		case BigInt:
			return boolCell(c.Int != 0), true
		case Double:
			return boolCell(c.Num != 0), true
		}
	}
	return Cell{}, false
}

// validUnderscores accepts Python int()'s digit grouping: single underscores between digits.
func validUnderscores(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return !strings.HasPrefix(s, "_") && !strings.HasSuffix(s, "_") && !strings.Contains(s, "__")
}

// formatDouble writes a float as Python's str() does for common values.
func formatDouble(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e16 {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// ParseTimestamp reads an ISO 8601 date-time as the timestamp detection does.
func ParseTimestamp(s string) (time.Time, bool) { return parseISOTimestamp(s) }

// FieldText reads a record's top-level field as text, for cursors, ids and the fields a
// list is split on: a string, a number's text, or true/false; ok is false for a field
// that is missing, null, empty, or Python's None printed as a string.
func FieldText(v jsonv.Value, field string) (string, bool) {
	f, ok := v.Get(field)
	if !ok {
		return "", false
	}
	switch f.Kind {
	case jsonv.KindString:
		if f.Str == "" || f.Str == PythonNone {
			return "", false
		}
		return f.Str, true
	case jsonv.KindNumber:
		return f.Str, true
	case jsonv.KindBool:
		if f.Bool {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

package simulator

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonenc"
)

// record is a JSON object whose keys keep the order they were added in, as Secoda's
// answers do, and which encodes without reflection: the simulator serves a million
// catalog entries, and encoding is most of its work.
type record []field

type field struct {
	k string
	v any // nil, string, bool, int, float64, time.Time, []string, record, []record, rawJSON
}

// rawJSON is a value already encoded.
type rawJSON []byte

func (r record) get(k string) (any, bool) {
	for _, f := range r {
		if f.k == k {
			return f.v, true
		}
	}
	return nil, false
}

// set replaces k's value, or appends k.
func (r record) set(k string, v any) record {
	for i := range r {
		if r[i].k == k {
			r[i].v = v
			return r
		}
	}
	return append(r, field{k, v})
}

func (r record) without(k string) record {
	for i := range r {
		if r[i].k == k {
			return append(r[:i:i], r[i+1:]...)
		}
	}
	return r
}

func (r record) MarshalJSON() ([]byte, error) { return appendRecord(nil, r), nil }

func appendRecord(b []byte, r record) []byte {
	b = append(b, '{')
	for i, f := range r {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, f.k)
		b = append(b, ':')
		b = appendValue(b, f.v)
	}
	return append(b, '}')
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return jsonenc.AppendString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case time.Time:
		return jsonenc.AppendString(b, formatTime(x))
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonenc.AppendString(b, s)
		}
		return append(b, ']')
	case record:
		return appendRecord(b, x)
	case []record:
		b = append(b, '[')
		for i, r := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRecord(b, r)
		}
		return append(b, ']')
	case rawJSON:
		return append(b, x...)
	default:
		j, err := json.Marshal(x)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, j...)
	}
}

// formatTime writes Secoda's timestamps: UTC, microseconds, Z.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

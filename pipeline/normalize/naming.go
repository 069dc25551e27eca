package normalize

import (
	"crypto/sha3"
	"encoding/base64"
	"math"
	"strings"
)

// The naming rules are dlt's snake_case convention, so that tables and columns come out
// with the names dlt's users already query. Everything that names a table or a column
// calls Identifier or Path; nothing else makes names.

// PathSeparator joins a parent and a nested field or child table.
const PathSeparator = "__"

// EmptyKeyIdentifier replaces an empty or blank key in the data, as dlt does.
const EmptyKeyIdentifier = "_empty"

// Identifier normalizes one name: ASCII letters, digits and underscores only; + and *
// become x, - becomes _, @ becomes a, | becomes l, anything else _; camelCase is broken
// into snake_case and lowered; a leading digit gets a _ prefix; trailing underscores
// become x; runs of underscores collapse to one. maxLength > 0 shortens with a hash tag
// (DuckDB needs none; PostgreSQL takes 63).
func Identifier(s string, maxLength int) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return EmptyKeyIdentifier
	}
	b := make([]byte, 0, len(s)+4)
	inRun := false // a run of other characters becomes one underscore
	for _, r := range s {
		var c byte
		switch {
		case r == '+' || r == '*':
			c = 'x'
		case r == '-':
			c = '_'
		case r == '@':
			c = 'a'
		case r == '|':
			c = 'l'
		case r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			c = byte(r)
		default:
			if !inRun {
				b = append(b, '_')
			}
			inRun = true
			continue
		}
		inRun = false
		b = append(b, c)
	}
	return shorten(snakeCase(string(b)), s, maxLength)
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// snakeCase applies dlt's two breaks, ([^_])([A-Z][a-z]+) then ([a-z0-9])([A-Z]), lowers,
// prefixes a leading digit, turns trailing underscores into x and collapses underscores.
func snakeCase(s string) string {
	// Break 1: before a capitalized word that follows anything but an underscore.
	var b1 []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i > 0 && isUpper(c) && i+1 < len(s) && isLower(s[i+1]) && s[i-1] != '_' {
			// The regex consumes the previous character and the word; matches cannot
			// overlap, so a capital right after a matched word's end still breaks.
			b1 = append(b1, '_')
		}
		b1 = append(b1, c)
	}
	// Break 2: between a lower-case letter or digit and a capital.
	b2 := make([]byte, 0, len(b1)+4)
	for i := 0; i < len(b1); i++ {
		c := b1[i]
		if i > 0 && isUpper(c) && (isLower(b1[i-1]) || isDigit(b1[i-1])) {
			b2 = append(b2, '_')
		}
		b2 = append(b2, c)
	}
	out := strings.ToLower(string(b2))
	if out != "" && isDigit(out[0]) {
		out = "_" + out
	}
	trimmed := strings.TrimRight(out, "_")
	out = trimmed + strings.Repeat("x", len(out)-len(trimmed))
	// Collapse runs of underscores.
	var b strings.Builder
	b.Grow(len(out))
	for i := 0; i < len(out); i++ {
		if out[i] == '_' && i > 0 && out[i-1] == '_' {
			continue
		}
		b.WriteByte(out[i])
	}
	return b.String()
}

// Path joins already normalized identifiers into a nested name (a flattened column or
// a child table) and shortens the whole if it is too long.
func Path(maxLength int, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			kept = append(kept, p)
		}
	}
	joined := strings.Join(kept, PathSeparator)
	return shorten(joined, joined, maxLength)
}

// VariantColumn names the column that takes values of another type than col's.
func VariantColumn(col string, t DataType, maxLength int) string {
	return Path(maxLength, col, "v_"+string(t))
}

// shorten cuts a name longer than maxLength around a tag hashed from the original, as
// dlt does: the tag is the base64 of 4 bytes of SHAKE-128, lower-cased.
func shorten(normalized, original string, maxLength int) string {
	if maxLength <= 0 || len(normalized) <= maxLength {
		return normalized
	}
	tag := computeTag(original)
	remaining := maxLength - len(tag)
	if remaining < 0 {
		return tag[:maxLength]
	}
	head := remaining/2 + remaining%2
	return normalized[:head] + tag + normalized[len(normalized)-remaining/2:]
}

// collisionProb is dlt's default probability of two names sharing a tag.
const collisionProb = 0.001

func computeTag(original string) string {
	n := int((2+1)*math.Log2(1/collisionProb))/8 + 1
	sum := make([]byte, n)
	h := sha3.NewSHAKE128()
	h.Write([]byte(original))
	h.Read(sum)
	tag := strings.TrimRight(base64.StdEncoding.EncodeToString(sum), "=")
	tag = strings.NewReplacer("/", "a", "+", "b").Replace(tag)
	return strings.ToLower(tag)
}

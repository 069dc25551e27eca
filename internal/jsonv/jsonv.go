// Package jsonv parses JSON fast and in document order: Parse builds a Value tree whose
// strings share the input's bytes, and ObjectEach / ArrayEach walk an object or array
// validating each element without building anything, so a page's records can be cut
// out and each parsed once. The normalizer needs key order (it makes column order) and
// speed (a million records); encoding/json gives neither.
package jsonv

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonenc"
)

// Kind is the JSON kind of a Value.
type Kind uint8

const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindObject
	KindArray
)

// Value is a parsed JSON value that keeps object keys in document order, as the
// normalizer needs them for column order. Strings without escapes share the input's
// bytes, so a Value is valid only while the input is unchanged.
type Value struct {
	Kind   Kind
	Bool   bool
	Str    string  // a string, unescaped; or a number's text
	Fields []Field // an object's fields, in order
	Items  []Value // an array's items
}

// Field is one key and value of an object.
type Field struct {
	Key   string
	Value Value
}

// Get returns the value of an object's top-level key.
func (v Value) Get(key string) (Value, bool) {
	for _, f := range v.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return Value{}, false
}

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 10000

// ErrSyntax is returned, wrapped with a position, for input that is not JSON.
var ErrSyntax = errors.New("invalid JSON")

// Parse reads one JSON value. The returned Value shares data's bytes.
func Parse(data []byte) (Value, error) {
	p := parser{data: data}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return Value{}, p.errorf("unexpected %q after the value", p.data[p.pos])
	}
	return v, nil
}

type parser struct {
	data []byte
	pos  int
	// strict makes skip validate as Unambiguous does: no key twice in an object, no
	// half a surrogate pair in a string.
	strict bool
}

// SyntaxError is input that is not JSON (it wraps ErrSyntax), or, from Unambiguous,
// JSON that readers may read differently (ErrAmbiguous), and where: Offset is in bytes.
type SyntaxError struct {
	Offset int
	Msg    string
	err    error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%v at byte %d: %s", e.err, e.Offset, e.Msg) }
func (e *SyntaxError) Unwrap() error { return e.err }

func (p *parser) errorf(format string, a ...any) error {
	return &SyntaxError{Offset: p.pos, Msg: fmt.Sprintf(format, a...), err: ErrSyntax}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, p.errorf("nested deeper than %d", maxDepth)
	}
	if p.pos >= len(p.data) {
		return Value{}, p.errorf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		return Value{Kind: KindString, Str: s}, err
	case c == 't':
		return Value{Kind: KindBool, Bool: true}, p.literal("true")
	case c == 'f':
		return Value{Kind: KindBool}, p.literal("false")
	case c == 'n':
		return Value{Kind: KindNull}, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	default:
		return Value{}, p.errorf("unexpected %q", c)
	}
}

func (p *parser) literal(word string) error {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return p.errorf("expected %s", word)
	}
	p.pos += len(word)
	return nil
}

func (p *parser) object(depth int) (Value, error) {
	p.pos++ // {
	v := Value{Kind: KindObject}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	v.Fields = make([]Field, 0, 8)
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return Value{}, p.errorf("expected a key")
		}
		key, err := p.string()
		if err != nil {
			return Value{}, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return Value{}, p.errorf("expected ':' after a key")
		}
		p.pos++
		p.skipSpace()
		val, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.Fields = append(v.Fields, Field{Key: key, Value: val})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return Value{}, p.errorf("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return v, nil
		default:
			return Value{}, p.errorf("expected ',' or '}' in an object")
		}
	}
}

func (p *parser) array(depth int) (Value, error) {
	p.pos++ // [
	v := Value{Kind: KindArray}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		v.Items = []Value{}
		return v, nil
	}
	v.Items = make([]Value, 0, 4)
	for {
		p.skipSpace()
		item, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.Items = append(v.Items, item)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return Value{}, p.errorf("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return v, nil
		default:
			return Value{}, p.errorf("expected ',' or ']' in an array")
		}
	}
}

func (p *parser) number() (Value, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return Value{}, p.errorf("expected a digit")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return Value{}, p.errorf("expected a digit after '.'")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return Value{}, p.errorf("expected a digit in the exponent")
		}
	}
	return Value{Kind: KindNumber, Str: bytesString(p.data[start:p.pos])}, nil
}

// string reads a JSON string at p.pos (on the opening quote).
func (p *parser) string() (string, error) {
	p.pos++ // "
	start := p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			s := bytesString(p.data[start:p.pos])
			p.pos++
			if !utf8.ValidString(s) {
				return string([]rune(s)), nil // invalid bytes become U+FFFD, as encoding/json does
			}
			return s, nil
		case c == '\\':
			return p.escapedString(start)
		case c < 0x20:
			return "", p.errorf("control character in a string")
		}
		p.pos++
	}
	return "", p.errorf("unterminated string")
}

// escapedString continues a string that has escapes, copying it.
func (p *parser) escapedString(start int) (string, error) {
	b := make([]byte, 0, p.pos-start+16)
	b = append(b, p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !utf8.Valid(b) {
				return string([]rune(string(b))), nil
			}
			return string(b), nil
		case c < 0x20:
			return "", p.errorf("control character in a string")
		case c != '\\':
			b = append(b, c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.data) {
			break
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
					save := p.pos
					p.pos += 2
					if lo, ok := p.hex4(); ok && utf16.DecodeRune(r, lo) != utf8.RuneError {
						r2 = utf16.DecodeRune(r, lo)
					} else {
						p.pos = save
					}
				}
				r = r2
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", p.errorf("bad escape \\%c", e)
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *parser) hex4() (rune, bool) {
	if p.pos+4 > len(p.data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(n), true
}

// bytesString views bytes as a string without copying; the bytes must not change.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// AppendJSON writes a Value back as compact JSON.
func AppendJSON(b []byte, v Value) []byte {
	switch v.Kind {
	case KindNull:
		return append(b, "null"...)
	case KindBool:
		return strconv.AppendBool(b, v.Bool)
	case KindNumber:
		return append(b, v.Str...)
	case KindString:
		return jsonenc.AppendString(b, v.Str)
	case KindArray:
		b = append(b, '[')
		for i, it := range v.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSON(b, it)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for i, f := range v.Fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, f.Key)
		b = append(b, ':')
		b = AppendJSON(b, f.Value)
	}
	return append(b, '}')
}

// ObjectEach walks the object that is all of data (space around it aside), calling fn
// with each member's key, unescaped, and its value's raw bytes. It validates the whole
// object and builds nothing.
func ObjectEach(data []byte, fn func(key string, value []byte) error) error {
	p := parser{data: data}
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '{' {
		return p.errorf("expected an object")
	}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return p.end()
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return p.errorf("expected a key")
		}
		key, err := p.string()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return p.errorf("expected ':' after a key")
		}
		p.pos++
		p.skipSpace()
		start := p.pos
		if err := p.skip(1); err != nil {
			return err
		}
		if err := fn(key, p.data[start:p.pos]); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return p.errorf("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return p.end()
		default:
			return p.errorf("expected ',' or '}' in an object")
		}
	}
}

// ArrayEach walks the array that is all of data, calling fn with each element's raw
// bytes. It validates the whole array and builds nothing.
func ArrayEach(data []byte, fn func(elem []byte) error) error {
	p := parser{data: data}
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '[' {
		return p.errorf("expected an array")
	}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return p.end()
	}
	for {
		p.skipSpace()
		start := p.pos
		if err := p.skip(1); err != nil {
			return err
		}
		if err := fn(p.data[start:p.pos]); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return p.errorf("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return p.end()
		default:
			return p.errorf("expected ',' or ']' in an array")
		}
	}
}

// Valid reports whether data is one JSON value.
func Valid(data []byte) bool {
	p := parser{data: data}
	p.skipSpace()
	return p.skip(0) == nil && p.end() == nil
}

func (p *parser) end() error {
	p.skipSpace()
	if p.pos != len(p.data) {
		return p.errorf("unexpected %q after the value", p.data[p.pos])
	}
	return nil
}

// skip validates the value at p.pos and moves past it without building it.
func (p *parser) skip(depth int) error {
	if depth > maxDepth {
		return p.errorf("nested deeper than %d", maxDepth)
	}
	if p.pos >= len(p.data) {
		return p.errorf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		p.pos++
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			return nil
		}
		var seen map[string]bool // keys so far, when strict
		for {
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return p.errorf("expected a key")
			}
			if !p.strict {
				if err := p.skipString(); err != nil {
					return err
				}
			} else if err := p.uniqueKey(&seen); err != nil {
				return err
			}
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != ':' {
				return p.errorf("expected ':' after a key")
			}
			p.pos++
			p.skipSpace()
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.skipSpace()
			if p.pos >= len(p.data) {
				return p.errorf("unexpected end of input in an object")
			}
			if p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.data[p.pos] == '}' {
				p.pos++
				return nil
			}
			return p.errorf("expected ',' or '}' in an object")
		}
	case c == '[':
		p.pos++
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return nil
		}
		for {
			p.skipSpace()
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.skipSpace()
			if p.pos >= len(p.data) {
				return p.errorf("unexpected end of input in an array")
			}
			if p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.data[p.pos] == ']' {
				p.pos++
				return nil
			}
			return p.errorf("expected ',' or ']' in an array")
		}
	case c == '"' && p.strict:
		_, err := p.strictString()
		return err
	case c == '"':
		return p.skipString()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, err := p.number()
		return err
	}
	return p.errorf("unexpected %q", p.data[p.pos])
}

// skipString validates a string (escapes included) and moves past it.
func (p *parser) skipString() error {
	p.pos++ // "
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return nil
		case c < 0x20:
			return p.errorf("control character in a string")
		case c == '\\':
			p.pos++
			if p.pos >= len(p.data) {
				return p.errorf("unterminated string")
			}
			switch p.data[p.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.pos++
			case 'u':
				p.pos++
				if _, ok := p.hex4(); !ok {
					return p.errorf("bad \\u escape")
				}
			default:
				return p.errorf("bad escape")
			}
			continue
		}
		p.pos++
	}
	return p.errorf("unterminated string")
}

package jsonv

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrAmbiguous is JSON that parses, but that readers may read differently.
var ErrAmbiguous = errors.New("ambiguous JSON")

// Unambiguous checks that data is one JSON value that every reader reads alike, as a
// file a person wrote must be before a program edits it: valid JSON in valid UTF-8, no
// object with a key twice (at any depth; encoding/json keeps the last, others the
// first), and no \u escape that stands for half a UTF-16 surrogate pair (encoding/json
// reads U+FFFD). encoding/json accepts all three silently. The error is a
// *SyntaxError, which wraps ErrSyntax or ErrAmbiguous and says where.
func Unambiguous(data []byte) error {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return &SyntaxError{Offset: i, Msg: "invalid UTF-8 (a file in another encoding?)", err: ErrAmbiguous}
		}
		i += n
	}
	p := parser{data: data, strict: true}
	p.skipSpace()
	if err := p.skip(0); err != nil {
		return err
	}
	return p.end()
}

// uniqueKey validates the key at p.pos (strictString) and refuses one the object had.
func (p *parser) uniqueKey(seen *map[string]bool) error {
	at := p.pos
	key, err := p.strictString()
	if err != nil {
		return err
	}
	if *seen == nil {
		*seen = map[string]bool{}
	}
	if (*seen)[key] {
		return &SyntaxError{Offset: at, Msg: "the key " + strconv.Quote(key) + " appears twice in one object (readers differ on which one counts)",
			err: ErrAmbiguous}
	}
	(*seen)[key] = true
	return nil
}

// strictString validates the string at p.pos, refusing half a surrogate pair, and
// returns it unescaped.
func (p *parser) strictString() (string, error) {
	start := p.pos
	if err := p.skipString(); err != nil {
		return "", err
	}
	raw := p.data[start:p.pos]
	if at := loneSurrogate(raw); at >= 0 {
		return "", &SyntaxError{Offset: start + at, Msg: "a \\u escape stands for half a UTF-16 surrogate pair (readers turn it into U+FFFD, or refuse it)",
			err: ErrAmbiguous}
	}
	q := parser{data: raw}
	return q.string()
}

// loneSurrogate is the offset in a valid JSON string (quotes included) of a \u escape
// of a surrogate that is not half of a pair, or -1.
func loneSurrogate(raw []byte) int {
	hex := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 32)
		return rune(n), err == nil
	}
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			i++
			continue
		}
		r, ok := hex(i)
		if !ok {
			i += 2 // another escape
			continue
		}
		if !utf16.IsSurrogate(r) {
			i += 6
			continue
		}
		if lo, ok := hex(i + 6); ok && r < 0xdc00 && utf16.DecodeRune(r, lo) != utf8.RuneError {
			i += 12
			continue
		}
		return i
	}
	return -1
}

package secrets

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"sync"
)

// Redacted replaces a secret wherever it would have appeared.
const Redacted = "[REDACTED]"

// minSecretLen keeps a stray one-letter "secret" from blanking all output.
const minSecretLen = 6

// Redactor knows the secrets loaded so far and takes them out of text. The program
// makes one, adds the key as soon as it is found, and sends every output stream
// through it.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// Add makes the redactor take s out of all text from now on, in every form the
// program writes text in (Encodings), and in those forms of each other (JSON of a
// URL, CSV of JSON): up to two layers deep.
func (r *Redactor) Add(s string) {
	if len(s) < minSecretLen {
		return
	}
	forms := []string{s}
	for range 2 {
		for _, f := range forms {
			for _, enc := range Encodings {
				forms = appendNew(forms, enc(f))
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range forms {
		r.secrets = appendNew(r.secrets, v)
	}
}

// appendNew appends v unless list holds it.
func appendNew(list []string, v string) []string {
	for _, k := range list {
		if k == v {
			return list
		}
	}
	return append(list, v)
}

// Encodings are the ways the program writes a value into its output: JSON strings
// (with Go's HTML escapes and without), CSV's doubled quotes, a Markdown table's cell,
// a terminal table's cell, and URL escapes (of a query and of a path).
var Encodings = []func(string) string{
	func(s string) string { return jsonString(s, true) },
	func(s string) string { return jsonString(s, false) },
	func(s string) string { return strings.ReplaceAll(s, `"`, `""`) },
	strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ").Replace,
	strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace,
	url.QueryEscape,
	url.PathEscape,
}

// jsonString is s as a JSON string writes it, without the quotes.
func jsonString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// cutMark ends a value cut to its bound (dest.CutMark, table cells): the part of a
// secret before it is a secret too.
const cutMark = "…"

// Redact takes every known secret out of s, and the start of one (minSecretLen bytes
// or more) where a value was cut short before cutMark.
func (r *Redactor) Redact(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.secrets {
		s = strings.ReplaceAll(s, k, Redacted)
	}
	if !strings.Contains(s, cutMark) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, cutMark)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		head := s[:i]
		for _, k := range r.secrets {
			for n := len(k) - 1; n >= minSecretLen; n-- {
				if strings.HasSuffix(head, k[:n]) {
					head = head[:len(head)-n] + Redacted
					break
				}
			}
		}
		b.WriteString(head + cutMark)
		s = s[i+len(cutMark):]
	}
}

// Writer wraps w so that nothing written through it carries a known secret, even one
// split across two writes: a tail that could be the start of a secret is held until
// the next write shows what follows, or until Flush.
func (r *Redactor) Writer(w io.Writer) *Writer { return &Writer{r: r, w: w} }

// Writer is a redacting io.Writer.
type Writer struct {
	r       *Redactor
	w       io.Writer
	mu      sync.Mutex
	pending []byte
}

func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, p...)
	text := w.r.Redact(string(w.pending))
	hold := w.heldTail(text)
	out := text[:len(text)-hold]
	w.pending = append(w.pending[:0], text[len(text)-hold:]...)
	if len(out) > 0 {
		if _, err := io.WriteString(w.w, out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// heldTail is the length of the longest end of text that begins a known secret.
func (w *Writer) heldTail(text string) int {
	w.r.mu.RLock()
	defer w.r.mu.RUnlock()
	hold := 0
	for _, k := range w.r.secrets {
		for n := min(len(k)-1, len(text)); n > hold; n-- {
			if strings.HasSuffix(text, k[:n]) {
				hold = n
				break
			}
		}
	}
	return hold
}

// Flush writes what was held back.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return nil
	}
	_, err := io.WriteString(w.w, w.r.Redact(string(w.pending)))
	w.pending = w.pending[:0]
	return err
}

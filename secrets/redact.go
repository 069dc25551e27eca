package secrets

import (
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

// Add makes the redactor take s (and its URL-escaped form) out of all text from now on.
func (r *Redactor) Add(s string) {
	if len(s) < minSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
		known := false
		for _, k := range r.secrets {
			known = known || k == v
		}
		if !known {
			r.secrets = append(r.secrets, v)
		}
	}
}

// Redact takes every known secret out of s.
func (r *Redactor) Redact(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.secrets {
		s = strings.ReplaceAll(s, k, Redacted)
	}
	return s
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

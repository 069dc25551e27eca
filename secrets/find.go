package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// Secret holds a key so that no formatting verb, logger or panic can print it; only
// Reveal gives it out, to the Secoda client.
type Secret struct{ v string }

// NewSecret wraps a key.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal is the key itself.
func (s Secret) Reveal() string { return s.v }

// Empty reports whether there is no key.
func (s Secret) Empty() bool { return s.v == "" }

func (Secret) String() string               { return "[REDACTED]" }
func (Secret) GoString() string             { return "[REDACTED]" }
func (Secret) MarshalText() ([]byte, error) { return []byte("[REDACTED]"), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue("[REDACTED]") }

// Fingerprint identifies a key without showing any of it: the start of its SHA-256.
func (s Secret) Fingerprint() string { return Fingerprint(s.v) }

// Fingerprint is "sha256:" and the first 12 hex digits of the key's SHA-256.
func Fingerprint(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// Source says where a key was found.
type Source string

const (
	FromEnv      Source = "environment"   // SECODA_API_KEY
	FromKeyring  Source = "keyring"       // the OS keyring
	FromInsecure Source = "insecure-file" // --insecure-storage, plain text, mode 0600
	FromDlt      Source = "dlt-secrets"   // .dlt/secrets.toml, plain text, read only
)

// Found is a key and where it came from.
type Found struct {
	Key    Secret
	Source Source
	Host   string
	// Where names the source for people: the variable, the keyring, or a file's path.
	Where string
	// Warnings are to be shown every time the key is used (plain-text files).
	Warnings []string
	// Keyring is why the keyring was skipped, when it was.
	Keyring error
}

// ErrNoKey is a key found nowhere.
var ErrNoKey = errors.New("no Secoda API key")

// Finder looks for the key of a host, in this order: SECODA_API_KEY (or the file
// SECODA_API_KEY_FILE names, or the systemd unit's credential); the OS keyring;
// the --insecure-storage file; and, read only, dlt's .dlt/secrets.toml.
type Finder struct {
	Getenv   func(string) string
	Keyring  *Keyring
	Insecure string // the --insecure-storage file's path
	Dlt      string // the project's .dlt/secrets.toml
}

// Find looks for the key of a host (the API host, e.g. api.secoda.co). When there is
// none it says where it looked and what to do.
func (f *Finder) Find(ctx context.Context, host string) (Found, error) {
	if v, where, src, err := lookupEnv(f.Getenv, secoda.EnvAPIKey); err != nil || v != "" {
		return Found{Key: NewSecret(strings.TrimSpace(v)), Source: src, Host: host, Where: where}, err
	}
	var keyringErr error
	if f.Keyring != nil {
		v, err := f.Keyring.Get(ctx, host)
		switch {
		case err == nil && v != "":
			return Found{Key: NewSecret(v), Source: FromKeyring, Host: host, Where: "the OS keyring"}, nil
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return Found{}, err
		case err != nil && !errors.Is(err, ErrNotFound):
			keyringErr = err
		}
	}
	if f.Insecure != "" {
		v, err := readInsecure(f.Insecure, host)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Found{}, err
		}
		if v != "" {
			return Found{Key: NewSecret(v), Source: FromInsecure, Host: host, Where: f.Insecure, Keyring: keyringErr,
				Warnings: []string{fmt.Sprintf("the API key for %s is stored in plain text in %s (--insecure-storage); move it into the OS keyring with `secoda-workbench secrets set` where one is available", host, f.Insecure)}}, nil
		}
	}
	if f.Dlt != "" {
		v, err := ReadDltKey(f.Dlt)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Found{}, err
		}
		if v != "" {
			return Found{Key: NewSecret(v), Source: FromDlt, Host: host, Where: f.Dlt, Keyring: keyringErr,
				Warnings: []string{fmt.Sprintf("the API key comes from %s, which holds it in plain text; move it into the OS keyring with `secoda-workbench secrets set --from-dlt` (that blanks it in the file)", f.Dlt)}}, nil
		}
	}
	return Found{Keyring: keyringErr}, f.noKey(host, keyringErr)
}

func (f *Finder) noKey(host string, keyringErr error) error {
	msg := fmt.Sprintf("%s for %s: run `secoda-workbench secrets set` in your terminal (it prompts for the key without echoing it), or set %s",
		ErrNoKey, host, secoda.EnvAPIKey)
	if keyringErr != nil {
		msg += fmt.Sprintf(" (the OS keyring was not readable: %v)", keyringErr)
	}
	return fmt.Errorf("%w", &noKeyError{msg: msg})
}

type noKeyError struct{ msg string }

func (e *noKeyError) Error() string { return e.msg }
func (e *noKeyError) Unwrap() error { return ErrNoKey }

// Connect resolves where and with what key to reach Secoda: SECODA_API_URL over the
// configured base URL, and the key kept for that URL's host.
func (f *Finder) Connect(ctx context.Context, configured string) (base string, found Found, err error) {
	base, _, err = secoda.ResolveBaseURL(configured, f.Getenv)
	if err != nil {
		return "", Found{}, err
	}
	found, err = f.Find(ctx, HostOf(base))
	return base, found, err
}

// HostOf is the host (and port) of a base URL: the keyring account its key is kept under.
func HostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}

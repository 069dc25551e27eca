// Package secrets keeps the Secoda API key where the operating system protects it and
// shows it to no one: the OS keyring with a timeout on every call (keyring.go), the
// order in which a key is looked for (find.go), plain-text fallbacks that warn every
// time they are used (files.go), a report an agent can read without the key in it
// (inspect.go), and one redactor every line of output passes through (redact.go).
package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// Service is the keyring service the key is stored under; the account is the API host,
// so a US and an EU workspace each keep their own key.
const Service = "secoda-workbench"

// DefaultTimeout bounds every keyring call: a locked keyring's unlock prompt can wait
// forever, and a command must not.
const DefaultTimeout = 3 * time.Second

// The keyring's failures, as the program names them.
var (
	ErrNotFound    = errors.New("no key stored in the OS keyring")
	ErrUnavailable = errors.New("the OS keyring is not available")
	ErrTooLarge    = errors.New("the key is too large for the OS keyring")
)

// UnavailableError says why the keyring could not be used.
type UnavailableError struct {
	Why string
	err error
}

func (e *UnavailableError) Error() string { return ErrUnavailable.Error() + ": " + e.Why }
func (e *UnavailableError) Unwrap() []error {
	if e.err != nil {
		return []error{ErrUnavailable, e.err}
	}
	return []error{ErrUnavailable}
}

// Store is a keyring: the OS's, or a test's.
type Store interface {
	Get(service, account string) (string, error)
	Set(service, account, secret string) error
	Delete(service, account string) error
}

// OSStore is the operating system's keyring through go-keyring: the Secret Service
// (GNOME Keyring, KWallet) on Linux, the Keychain on macOS, the Credential Manager on
// Windows.
type OSStore struct{}

func (OSStore) Get(service, account string) (string, error) { return keyring.Get(service, account) }
func (OSStore) Set(service, account, secret string) error {
	return keyring.Set(service, account, secret)
}
func (OSStore) Delete(service, account string) error { return keyring.Delete(service, account) }

// Keyring is a Store with a timeout on each call and errors of the program's own.
type Keyring struct {
	store   Store
	timeout time.Duration
}

// NewKeyring wraps a store; a zero timeout takes DefaultTimeout.
func NewKeyring(store Store, timeout time.Duration) *Keyring {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Keyring{store: store, timeout: timeout}
}

// Get reads the key stored for a host.
func (k *Keyring) Get(ctx context.Context, host string) (string, error) {
	var v string
	err := k.call(ctx, func() error {
		var err error
		v, err = k.store.Get(Service, host)
		return err
	})
	return v, err
}

// Set stores the key for a host.
func (k *Keyring) Set(ctx context.Context, host, secret string) error {
	return k.call(ctx, func() error { return k.store.Set(Service, host, secret) })
}

// Delete removes the key stored for a host.
func (k *Keyring) Delete(ctx context.Context, host string) error {
	return k.call(ctx, func() error { return k.store.Delete(Service, host) })
}

// call runs one keyring call under the timeout. A call that does not return is left
// behind (its goroutine waits on the keyring), as GitHub's CLI does: there is no way to
// interrupt it.
func (k *Keyring) call(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(k.timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return classify(err)
	case <-t.C:
		return &UnavailableError{Why: fmt.Sprintf("it did not answer within %s (locked, and waiting for an unlock prompt no one sees?)", k.timeout)}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// classify maps go-keyring's and D-Bus's errors onto the program's.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNotFound
	}
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return fmt.Errorf("%w: %v", ErrTooLarge, err)
	}
	msg := err.Error()
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "dbus_session_bus_address") || strings.Contains(lower, "session bus") ||
		strings.Contains(lower, "no such file or directory") || strings.Contains(lower, "connection refused") ||
		strings.Contains(lower, "autolaunch"):
		return &UnavailableError{Why: "no D-Bus session bus (a headless machine or an SSH session without one)", err: err}
	case strings.Contains(lower, "org.freedesktop.secrets") || strings.Contains(lower, "serviceunknown") || strings.Contains(lower, "was not provided by any .service"):
		return &UnavailableError{Why: "no Secret Service on the session bus (install and start GNOME Keyring or KWallet)", err: err}
	case strings.Contains(lower, "locked") || strings.Contains(lower, "prompt") || strings.Contains(lower, "dismissed"):
		return &UnavailableError{Why: "the keyring is locked; unlock it (log in to the desktop session) and try again", err: err}
	}
	return &UnavailableError{Why: msg, err: err}
}

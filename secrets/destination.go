package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// EnvDestinationPassword holds the destination's password (PostgreSQL) when it is not
// in the OS keyring; the config never holds it.
const EnvDestinationPassword = "SECODA_DESTINATION_PASSWORD"

// DestinationAccount is the keyring account a destination's password is kept under:
// its location (postgres://USER@HOST:PORT/DATABASE, which holds no password).
func DestinationAccount(location string) string { return "destination " + location }

// ErrNoPassword is a destination password found nowhere. Not always a problem: a
// server may trust the connection, or find the password in ~/.pgpass.
var ErrNoPassword = errors.New("no destination password")

// FindPassword looks for a destination's password: SECODA_DESTINATION_PASSWORD (or its
// file, or the unit's credential), then the OS keyring. There is no plain-text file for it.
func (f *Finder) FindPassword(ctx context.Context, location string) (Found, error) {
	return f.findKept(ctx, EnvDestinationPassword, DestinationAccount(location), location, false,
		fmt.Sprintf("%s for %s in %s or the OS keyring", ErrNoPassword, location, EnvDestinationPassword), ErrNoPassword)
}

// StorePassword keeps a destination's password in the OS keyring (only there).
func (f *Finder) StorePassword(ctx context.Context, location string, password Secret) error {
	return f.storeKept(ctx, DestinationAccount(location), password,
		fmt.Sprintf("Set %s in the environment the pipeline runs in instead (in a shell: `read -s %s && export %s`)",
			EnvDestinationPassword, EnvDestinationPassword, EnvDestinationPassword))
}

// DeletePassword removes a destination's password from the OS keyring; false when none
// was stored.
func (f *Finder) DeletePassword(ctx context.Context, location string) (bool, error) {
	return f.deleteKept(ctx, DestinationAccount(location))
}

// findKept looks for a secret other than the API key: variable env (or its file, or the
// unit's credential, lookupEnv), then the OS keyring under account. Found nowhere, the
// error is notFound's message (and why the keyring was skipped), wrapping sentinel.
func (f *Finder) findKept(ctx context.Context, env, account, host string, trim bool, notFound string, sentinel error) (Found, error) {
	if v, where, src, err := lookupEnv(f.Getenv, env); err != nil || v != "" {
		if trim {
			v = strings.TrimSpace(v)
		}
		return Found{Key: NewSecret(v), Source: src, Host: host, Where: where}, err
	}
	var keyringErr error
	if f.Keyring != nil {
		v, err := f.Keyring.Get(ctx, account)
		switch {
		case err == nil && v != "":
			return Found{Key: NewSecret(v), Source: FromKeyring, Host: host, Where: "the OS keyring"}, nil
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return Found{}, err
		case err != nil && !errors.Is(err, ErrNotFound):
			keyringErr = err
		}
	}
	if keyringErr != nil {
		notFound += fmt.Sprintf(" (the OS keyring was not readable: %v)", keyringErr)
	}
	return Found{Keyring: keyringErr}, &notKeptError{msg: notFound, err: sentinel}
}

// storeKept keeps a secret in the OS keyring (only there); instead says what to do
// where there is none.
func (f *Finder) storeKept(ctx context.Context, account string, v Secret, instead string) error {
	err := f.Keyring.Set(ctx, account, v.Reveal())
	if errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%w. Nothing was stored. %s", err, instead)
	}
	return err
}

// deleteKept removes a secret from the OS keyring; false when none was there.
func (f *Finder) deleteKept(ctx context.Context, account string) (bool, error) {
	err := f.Keyring.Delete(ctx, account)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// notKeptError is a secret found nowhere: what to do, wrapping its sentinel.
type notKeptError struct {
	msg string
	err error
}

func (e *notKeptError) Error() string { return e.msg }
func (e *notKeptError) Unwrap() error { return e.err }

// PasswordReport is what an agent or a person may know about the destination's
// password: whether there is one, where, its fingerprint, whether the database
// accepts the login, and the next step. Never the password.
type PasswordReport struct {
	Destination string `json:"destination"`
	Found       bool   `json:"found"`
	Source      Source `json:"source,omitempty"`
	Where       string `json:"where,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Credentials names the credentials a bucket was reached with (an AWS key's id and
	// source, "Google application default credentials", ...); never a secret.
	Credentials string `json:"credentials,omitempty"`
	Checked     bool   `json:"checked"`
	Connected   bool   `json:"connected"`
	Problem     string `json:"problem,omitempty"`
	Keyring     string `json:"keyring,omitempty"`
	NextStep    string `json:"next_step"`
}

// InspectPassword finds a destination's password and, with connect set, tries to log
// in with it (connect returns the database's answer).
func InspectPassword(ctx context.Context, f *Finder, location string, connect func(context.Context, Secret) error) PasswordReport {
	rep := PasswordReport{Destination: location}
	found, err := f.FindPassword(ctx, location)
	if found.Keyring != nil {
		rep.Keyring = found.Keyring.Error()
	}
	if err != nil && !errors.Is(err, ErrNoPassword) {
		rep.Problem = err.Error()
		rep.NextStep = "Retry; if the OS keyring keeps failing, set " + EnvDestinationPassword + " in the environment the pipeline runs in."
		return rep
	}
	if err == nil {
		rep.Found, rep.Source, rep.Where, rep.Fingerprint = true, found.Source, found.Where, found.Key.Fingerprint()
	}
	if connect == nil {
		rep.NextStep = "Check the login with `secoda-workbench secrets status`."
		if !rep.Found {
			rep.NextStep = "No password is kept: fine if the server trusts this connection or ~/.pgpass has it; otherwise ask the user to run `secoda-workbench secrets set --destination` in their terminal."
		}
		return rep
	}
	rep.Checked = true
	if cerr := connect(ctx, found.Key); cerr != nil {
		rep.Problem = cerr.Error()
		switch {
		case strings.Contains(rep.Problem, "refused the login"):
			rep.NextStep = "Ask the user to run `secoda-workbench secrets set --destination` in their own terminal (it prompts without echoing); never ask for the password in the chat."
		default:
			rep.NextStep = "Check that the database server is running and that [destination] url in secoda_pipeline.toml is right."
		}
		return rep
	}
	rep.Connected = true
	rep.NextStep = "Ready: the pipeline can load into " + location + "."
	return rep
}

// EnvNotifyURL holds the [notify] webhook's URL when it is not in the OS keyring; the
// config never holds it.
const EnvNotifyURL = "SECODA_NOTIFY_URL"

// NotifyAccount is the keyring account the webhook URL of a pipeline is kept under.
func NotifyAccount(pipeline string) string { return "notify " + pipeline }

// ErrNoNotifyURL is a [notify] webhook URL found nowhere.
var ErrNoNotifyURL = errors.New("no webhook URL for [notify]")

// FindNotifyURL looks for the webhook URL of a pipeline's [notify]: SECODA_NOTIFY_URL
// (or its file, or the unit's credential), then the OS keyring.
func (f *Finder) FindNotifyURL(ctx context.Context, pipeline string) (Found, error) {
	return f.findKept(ctx, EnvNotifyURL, NotifyAccount(pipeline), pipeline, true,
		fmt.Sprintf("%s of pipeline %s in %s or the OS keyring: run `secoda-workbench secrets set --notify`, or set %s where the pipeline runs",
			ErrNoNotifyURL, pipeline, EnvNotifyURL, EnvNotifyURL), ErrNoNotifyURL)
}

// StoreNotifyURL keeps a pipeline's webhook URL in the OS keyring (only there).
func (f *Finder) StoreNotifyURL(ctx context.Context, pipeline string, u Secret) error {
	return f.storeKept(ctx, NotifyAccount(pipeline), u, "Set "+EnvNotifyURL+" in the environment the pipeline runs in instead")
}

// DeleteNotifyURL removes a pipeline's webhook URL from the OS keyring; false when none
// was there.
func (f *Finder) DeleteNotifyURL(ctx context.Context, pipeline string) (bool, error) {
	return f.deleteKept(ctx, NotifyAccount(pipeline))
}

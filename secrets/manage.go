package secrets

import (
	"context"
	"errors"
	"fmt"
)

// Store keeps a host's key: in the OS keyring, or with insecure in the plain-text
// file (and only there), as GitHub's CLI does with --insecure-storage. It says where.
func (f *Finder) Store(ctx context.Context, host string, key Secret, insecure bool) (string, error) {
	if insecure {
		if f.Insecure == "" {
			return "", errors.New("no folder for the --insecure-storage file (no user config folder)")
		}
		if err := writeInsecure(f.Insecure, host, key.Reveal()); err != nil {
			return "", err
		}
		return f.Insecure + " (plain text, mode 0600)", nil
	}
	err := f.Keyring.Set(ctx, host, key.Reveal())
	if errors.Is(err, ErrUnavailable) {
		return "", fmt.Errorf("%w. Nothing was stored. Two honest alternatives: set SECODA_API_KEY in your shell (and keep it out of history: `read -s SECODA_API_KEY && export SECODA_API_KEY`), "+
			"or store it in plain text with `secoda-workbench secrets set --insecure-storage` (mode 0600, with a warning each time it is used)", err)
	}
	if err != nil {
		return "", err
	}
	return "the OS keyring", nil
}

// Delete removes a host's key from the keyring and the plain-text file, and says from
// where. A key in SECODA_API_KEY or dlt's file is not this program's to delete.
func (f *Finder) Delete(ctx context.Context, host string) ([]string, error) {
	var removed []string
	err := f.Keyring.Delete(ctx, host)
	switch {
	case err == nil:
		removed = append(removed, "the OS keyring")
	case errors.Is(err, ErrNotFound):
	default:
		if f.Insecure == "" {
			return nil, err
		}
	}
	if f.Insecure != "" {
		switch ierr := writeInsecure(f.Insecure, host, ""); {
		case ierr == nil:
			removed = append(removed, f.Insecure)
		case !errors.Is(ierr, ErrNotFound):
			return removed, ierr
		}
	}
	if len(removed) == 0 && err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return removed, nil
}

package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// TestSecretsFromASchedulersFiles: each secret is found in the variable, else in the
// file <VARIABLE>_FILE names, else in the systemd unit's credential, before the
// keyring; a file named but unusable is an error naming it, never a fall-through;
// no message repeats a secret.
func TestSecretsFromASchedulersFiles(t *testing.T) {
	for _, tc := range []struct {
		env  string
		find func(f *Finder) (Found, error)
	}{
		{"SECODA_API_KEY", func(f *Finder) (Found, error) { return f.Find(context.Background(), "api.secoda.co") }},
		{EnvDestinationPassword, func(f *Finder) (Found, error) {
			return f.FindPassword(context.Background(), "postgres://loader@db:5432/analytics")
		}},
		{EnvNotifyURL, func(f *Finder) (Found, error) { return f.FindNotifyURL(context.Background(), "secoda_pipeline") }},
	} {
		t.Run(tc.env, func(t *testing.T) {
			dir := t.TempDir()
			envValue, fileValue, credValue, ringValue := newKey(t), newKey(t), newKey(t), newKey(t)
			file := filepath.Join(dir, "secret")
			os.WriteFile(file, []byte(fileValue+"\n"), 0o600)
			creds := filepath.Join(dir, "credentials")
			os.Mkdir(creds, 0o700)
			os.WriteFile(filepath.Join(creds, CredentialNames[tc.env]), []byte(credValue), 0o600)
			store := &secretstest.MemStore{}
			for _, account := range []string{"api.secoda.co", DestinationAccount("postgres://loader@db:5432/analytics"), NotifyAccount("secoda_pipeline")} {
				store.Set(Service, account, ringValue)
			}
			env := map[string]string{tc.env: envValue, tc.env + FileSuffix: file, EnvCredentialsDirectory: creds}
			f := &Finder{Getenv: func(k string) string { return env[k] }, Keyring: NewKeyring(store, time.Second)}
			expect := func(value string, src Source, where string) {
				t.Helper()
				got, err := tc.find(f)
				if err != nil || got.Key.Reveal() != value || got.Source != src || !strings.Contains(got.Where, where) {
					t.Fatalf("want %s from %s, got %s from %q (%v)", src, where, got.Source, got.Where, err)
				}
			}
			expect(envValue, FromEnv, tc.env)
			delete(env, tc.env)
			expect(fileValue, FromFile, file)
			delete(env, tc.env+FileSuffix)
			expect(credValue, FromFile, CredentialNames[tc.env])
			os.Remove(filepath.Join(creds, CredentialNames[tc.env]))
			expect(ringValue, FromKeyring, "keyring")

			for name, content := range map[string]string{"empty": " \n", "huge": strings.Repeat("x", maxSecretFile+1)} {
				os.WriteFile(file, []byte(content), 0o600)
				env[tc.env+FileSuffix] = file
				if _, err := tc.find(f); err == nil || !strings.Contains(err.Error(), tc.env+FileSuffix+" names "+file) {
					t.Fatalf("an %s file: %v", name, err)
				}
			}
			env[tc.env+FileSuffix] = filepath.Join(dir, "missing")
			if _, err := tc.find(f); !errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), ringValue) {
				t.Fatalf("a missing file: %v", err)
			}
		})
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// keyed is a project with a simulator, an in-memory keyring and the simulator's key,
// which the test pipes to `secrets set` as a user would.
func keyed(t *testing.T) (*testApp, string) {
	t.Helper()
	dir := inProject(t)
	env := simEnv(t)
	key := env["SECODA_API_KEY"]
	delete(env, "SECODA_API_KEY")
	unpaced(t)
	return &testApp{store: &secretstest.MemStore{}, env: env, insecure: filepath.Join(dir, "config", "insecure.toml")}, key
}

func TestSecretsSetStatusRunDelete(t *testing.T) {
	ta, key := keyed(t)
	ctx := context.Background()
	host := hostOf(ta.env["SECODA_API_URL"])

	code, _, errOut := ta.run(ctx, "run")
	if code != exitKey || !strings.Contains(errOut, "secoda-workbench secrets set") {
		t.Fatalf("run with no key: exit %d, %s", code, errOut)
	}
	ta.stdin = key + "\n"
	code, out, errOut := ta.run(ctx, "secrets", "set")
	if code != exitOK || !strings.Contains(out, "Stored the API key for "+host+" in the OS keyring (fingerprint "+secrets.Fingerprint(key)+")") ||
		!strings.Contains(errOut, "accepted the key") {
		t.Fatalf("secrets set: exit %d\n%s\n%s", code, out, errOut)
	}
	if v, err := ta.store.Get(secrets.Service, host); err != nil || v != key {
		t.Fatalf("the keyring holds %v", err)
	}
	ta.stdin = ""
	code, out, _ = ta.run(ctx, "secrets", "status")
	if code != exitOK || !strings.Contains(out, "found in the OS keyring") || !strings.Contains(out, "Secoda accepts it: HTTP 200") {
		t.Fatalf("secrets status: exit %d\n%s", code, out)
	}
	code, out, _ = ta.run(ctx, "secrets", "status", "--json")
	var rep secrets.Report
	if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || !rep.Verified || rep.Source != secrets.FromKeyring {
		t.Fatalf("secrets status --json: exit %d\n%s", code, out)
	}
	code, out, errOut = ta.run(ctx, "run")
	if code != exitOK || !strings.Contains(out, "is LOADED") {
		t.Fatalf("run with the keyring's key: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = ta.run(ctx, "secrets", "delete")
	if code != exitOK || !strings.Contains(out, "Deleted the key for "+host+" from the OS keyring") {
		t.Fatalf("secrets delete: exit %d\n%s", code, out)
	}
	code, out, _ = ta.run(ctx, "secrets", "status")
	if code != exitFailure || !strings.Contains(out, "No API key") || !strings.Contains(out, "secoda-workbench secrets set") {
		t.Fatalf("status after delete: exit %d\n%s", code, out)
	}
	code, out, _ = ta.run(ctx, "secrets", "delete")
	if code != exitOK || !strings.Contains(out, "No key was stored") {
		t.Fatalf("deleting twice: exit %d\n%s", code, out)
	}
}

func TestSecretsSetRefuses(t *testing.T) {
	ta, key := keyed(t)
	ctx := context.Background()
	code, _, errOut := ta.run(ctx, "secrets", "set", key)
	if code != exitUsage || !strings.Contains(errOut, "not taken as an argument") || strings.Contains(errOut, key) {
		t.Fatalf("a key as an argument: exit %d, %s", code, errOut)
	}
	code, _, errOut = ta.run(ctx, "secrets", "set")
	if code != exitFailure || !strings.Contains(errOut, "no key was given") {
		t.Fatalf("empty stdin: exit %d, %s", code, errOut)
	}
	ta.stdin = "abc def"
	if code, _, errOut = ta.run(ctx, "secrets", "set"); code != exitFailure || !strings.Contains(errOut, "spaces") {
		t.Fatalf("a key with a space: exit %d, %s", code, errOut)
	}
	ta.stdin = "wrong-" + key
	code, _, errOut = ta.run(ctx, "secrets", "set")
	if code != exitFailure || !strings.Contains(errOut, "rejected this key (HTTP 401); nothing was stored") {
		t.Fatalf("a wrong key: exit %d, %s", code, errOut)
	}
	if _, err := ta.store.Get(secrets.Service, hostOf(ta.env["SECODA_API_URL"])); err == nil {
		t.Fatal("a rejected key was stored")
	}
	ta.stdin = "wrong-" + key
	if code, _, _ = ta.run(ctx, "secrets", "set", "--no-verify"); code != exitOK {
		t.Fatalf("--no-verify: exit %d", code)
	}
	code, out, _ := ta.run(ctx, "secrets", "status")
	if code != exitFailure || !strings.Contains(out, "Secoda refuses it: HTTP 401") || strings.Contains(out, "wrong-") {
		t.Fatalf("status of a wrong key: exit %d\n%s", code, out)
	}
}

// unavailableStore is a machine without a Secret Service.
type unavailableStore struct{}

func (unavailableStore) Get(string, string) (string, error) {
	return "", errors.New("The name org.freedesktop.secrets was not provided by any .service files")
}
func (unavailableStore) Set(string, string, string) error {
	return errors.New("The name org.freedesktop.secrets was not provided by any .service files")
}
func (unavailableStore) Delete(string, string) error {
	return errors.New("The name org.freedesktop.secrets was not provided by any .service files")
}

func TestNoKeyringOffersTheHonestAlternatives(t *testing.T) {
	ta, key := keyed(t)
	ta.store = unavailableStore{}
	ctx := context.Background()
	ta.stdin = key
	code, out, errOut := ta.run(ctx, "secrets", "set")
	if code != exitFailure || !strings.Contains(errOut, "no Secret Service") || !strings.Contains(errOut, "SECODA_API_KEY") || !strings.Contains(errOut, "--insecure-storage") {
		t.Fatalf("no keyring: exit %d\n%s\n%s", code, out, errOut)
	}
	ta.stdin = key
	code, out, errOut = ta.run(ctx, "secrets", "set", "--insecure-storage")
	if code != exitOK || !strings.Contains(out, "plain text, mode 0600") || !strings.Contains(errOut, "warning") {
		t.Fatalf("--insecure-storage: exit %d\n%s\n%s", code, out, errOut)
	}
	if info, err := os.Stat(ta.insecure); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the plain-text file: %v", err)
	}
	ta.stdin = ""
	code, out, errOut = ta.run(ctx, "run")
	if code != exitOK || !strings.Contains(errOut, "plain text") {
		t.Fatalf("run with the plain-text key must warn: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestSecretsSetFromDlt(t *testing.T) {
	ta, key := keyed(t)
	ctx := context.Background()
	os.MkdirAll(".dlt", 0o755)
	dlt := "[sources.secoda_source]\napi_key = \"" + key + "\"\n\n[destination.duckdb]\ncredentials = \"keep.duckdb\"\n"
	os.WriteFile(secrets.DltSecretsPath, []byte(dlt), 0o600)
	// Before moving it, the key is used from dlt's file, with a warning.
	code, out, errOut := ta.run(ctx, "secrets", "status")
	if code != exitOK || !strings.Contains(out, ".dlt/secrets.toml") || !strings.Contains(errOut, "plain text") {
		t.Fatalf("status with dlt's file: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = ta.run(ctx, "secrets", "set", "--from-dlt")
	if code != exitOK || !strings.Contains(out, "Blanked api_key in .dlt/secrets.toml") {
		t.Fatalf("--from-dlt: exit %d\n%s\n%s", code, out, errOut)
	}
	b, _ := os.ReadFile(secrets.DltSecretsPath)
	if string(b) != strings.Replace(dlt, `"`+key+`"`, `""`, 1) {
		t.Fatalf("the rest of dlt's file changed:\n%s", b)
	}
	if v, _ := ta.store.Get(secrets.Service, hostOf(ta.env["SECODA_API_URL"])); v != key {
		t.Fatal("the key did not reach the keyring")
	}
}

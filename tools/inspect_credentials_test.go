package tools

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

func TestInspectCredentials(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	var out InspectCredentialsOut
	res := call(t, InspectCredentials(f.d), nil)
	structured(t, res, &out)
	if !out.Found || out.Source != secrets.FromEnv || !out.Verified || out.Status != 200 || out.Fingerprint != secrets.Fingerprint(f.key) {
		t.Fatalf("a good key in the environment: %+v", out)
	}
	res = call(t, InspectCredentials(f.d), map[string]any{"check": false})
	structured(t, res, &out)
	if out.Checked {
		t.Fatal("check=false asked Secoda")
	}
	f.env["SECODA_API_KEY"] = "wrong-" + f.key
	res = call(t, InspectCredentials(f.d), nil)
	structured(t, res, &out)
	if out.Verified || out.Status != 401 || !strings.Contains(out.NextStep, "secoda-workbench secrets set") {
		t.Fatalf("a wrong key: %+v", out)
	}
	delete(f.env, "SECODA_API_KEY")
	res = call(t, InspectCredentials(f.d), nil)
	structured(t, res, &out)
	if out.Found || !strings.Contains(out.NextStep, "Never ask for the key in the chat") {
		t.Fatalf("no key: %+v", out)
	}
	// The keyring's key, found for the API host.
	f.d.Keyring.Set(t.Context(), secrets.HostOf(f.env["SECODA_API_URL"]), f.key)
	res = call(t, InspectCredentials(f.d), nil)
	structured(t, res, &out)
	if out.Source != secrets.FromKeyring || !out.Verified {
		t.Fatalf("the keyring's key: %+v", out)
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), f.key) {
		t.Fatal("the result holds the key")
	}
}

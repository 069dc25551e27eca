package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// integration is set by scripts/test, which installs and starts a real Secret Service
// (GNOME Keyring in a D-Bus session, unlocked, in a throwaway HOME) before the tests.
const integrationEnv = "SECODA_WORKBENCH_INTEGRATION"

// TestRealSecretService stores the key with `secrets set` through the real OS keyring,
// reads it back with secret-tool (so it really is in the Secret Service), loads with it,
// and deletes it. Asked for and without a Secret Service, it fails: it never skips then.
func TestRealSecretService(t *testing.T) {
	if os.Getenv(integrationEnv) == "" {
		t.Skip("needs the Secret Service that scripts/test starts (" + integrationEnv + "=1)")
	}
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Fatal("secret-tool is missing: scripts/test installs libsecret-tools")
	}
	ta, key := keyed(t)
	ta.store = secrets.OSStore{}
	ctx := context.Background()
	host := hostOf(ta.env["SECODA_API_URL"])
	t.Cleanup(func() { secrets.OSStore{}.Delete(secrets.Service, host) })

	ta.stdin = key
	code, out, errOut := ta.run(ctx, "secrets", "set")
	if code != exitOK || !strings.Contains(out, "in the OS keyring") {
		t.Fatalf("secrets set with the real keyring: exit %d\n%s\n%s", code, out, errOut)
	}
	got, err := exec.Command("secret-tool", "lookup", "service", secrets.Service, "username", host).Output()
	if err != nil || string(got) != key {
		t.Fatalf("secret-tool lookup: %v (the key is not in the Secret Service)", err)
	}
	ta.stdin = ""
	code, out, errOut = ta.run(ctx, "run")
	if code != exitOK || !strings.Contains(out, "is LOADED") {
		t.Fatalf("run with the key from the real keyring: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = ta.run(ctx, "secrets", "status")
	if code != exitOK || !strings.Contains(out, "found in the OS keyring") || strings.Contains(out, key) {
		t.Fatalf("secrets status: exit %d\n%s", code, out)
	}
	code, out, _ = ta.run(ctx, "secrets", "delete")
	if code != exitOK || !strings.Contains(out, "Deleted") {
		t.Fatalf("secrets delete: exit %d\n%s", code, out)
	}
	if err := exec.Command("secret-tool", "lookup", "service", secrets.Service, "username", host).Run(); err == nil {
		t.Fatal("secret-tool still finds the key after secrets delete")
	}
}

//go:build unix

package secrets

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
)

// TestDltSecretsFollowTheProjectsFileRule: .dlt/secrets.toml is a file of the project
// like any other: a link out of it is refused (and its target neither read nor
// blanked), a named pipe is refused without blocking, a link inside is followed.
func TestDltSecretsFollowTheProjectsFileRule(t *testing.T) {
	b := make([]byte, 16)
	rand.Read(b)
	key := hex.EncodeToString(b)
	doc := "[sources.secoda_source]\napi_key = \"" + key + "\"\n"
	project, outside := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(project, ".dlt"), 0o755)
	target := filepath.Join(outside, "secrets.toml")
	os.WriteFile(target, []byte(doc), 0o600)
	path := filepath.Join(project, DltSecretsPath)
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDltKey(path); err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("read through a link out: %v", err)
	}
	if err := BlankDltKey(path); err == nil {
		t.Fatal("blanked through a link out")
	}
	if b, _ := os.ReadFile(target); string(b) != doc {
		t.Fatalf("the link's target changed: %q", b)
	}

	os.Remove(path)
	filetree.MakeFIFO(t, path)
	done := make(chan error, 1)
	go func() { _, err := ReadDltKey(path); done <- err }()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, ErrNotFound) {
			t.Fatalf("a named pipe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a named pipe blocked")
	}

	os.Remove(path)
	inside := filepath.Join(project, "kept.toml")
	os.WriteFile(inside, []byte(doc), 0o600)
	os.Symlink(inside, path)
	if got, err := ReadDltKey(path); err != nil || got != key {
		t.Fatalf("a link inside the project: %v", err)
	}
	if err := BlankDltKey(path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(inside); strings.Contains(string(b), key) {
		t.Fatal("the key was not blanked in the link's target")
	}
}

package secrets

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// Where a scheduler keeps a secret for a job, beside the environment: a file named by
// <VARIABLE>_FILE (as Docker's and Kubernetes' secrets are mounted), or a credential of
// the systemd unit ($CREDENTIALS_DIRECTORY/<name>, LoadCredential= and
// LoadCredentialEncrypted=). The variable itself wins over both.

// FileSuffix makes the variable that names a secret's file: SECODA_API_KEY_FILE.
const FileSuffix = "_FILE"

// EnvCredentialsDirectory is where systemd puts a unit's credentials.
const EnvCredentialsDirectory = "CREDENTIALS_DIRECTORY"

// maxSecretFile bounds a secret's file: a key or a URL, never a document.
const maxSecretFile = 64 << 10

// CredentialNames are the systemd credential names of the secrets, by variable.
var CredentialNames = map[string]string{
	secoda.EnvAPIKey:       "secoda-api-key",
	EnvDestinationPassword: "secoda-destination-password",
	EnvNotifyURL:           "secoda-notify-url",
}

// FromFile is a secret found in a file a scheduler put it in.
const FromFile Source = "file"

// lookupEnv finds the secret of variable env: the variable, then the file its _FILE
// variable names, then the unit's credential. where names the place for people; ""
// and no error is a secret found nowhere. A file named but unreadable is an error
// saying which, never a fall-through to the keyring.
func lookupEnv(getenv func(string) string, env string) (value, where string, src Source, err error) {
	if v := getenv(env); strings.TrimSpace(v) != "" { // as given: the callers trim what must be trimmed
		return v, "the " + env + " environment variable", FromEnv, nil
	}
	if path := getenv(env + FileSuffix); path != "" {
		v, err := readSecretFile(path)
		if err != nil {
			return "", "", "", fmt.Errorf("%s names %s: %w", env+FileSuffix, path, err)
		}
		return v, path + " (" + env + FileSuffix + ")", FromFile, nil
	}
	if dir, name := getenv(EnvCredentialsDirectory), CredentialNames[env]; dir != "" && name != "" {
		path := filepath.Join(dir, name)
		v, err := readSecretFile(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return "", "", "", fmt.Errorf("the unit's credential %s: %w", name, err)
		default:
			return v, "the unit's credential " + name, FromFile, nil
		}
	}
	return "", "", "", nil
}

// readSecretFile reads a secret's file, bounded, its surrounding blanks (a final
// newline) trimmed. An empty file is an error: an empty secret is a mistake.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("larger than %d KiB: it should hold the secret alone", maxSecretFile>>10)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", errors.New("it is empty: write the secret into it")
	}
	return v, nil
}

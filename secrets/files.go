package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

// DltSecretsPath is where dlt keeps secrets in a project.
const DltSecretsPath = ".dlt/secrets.toml"

// The table and key dlt's Secoda source reads its key from.
const (
	dltTable = "sources.secoda_source"
	dltKey   = "api_key"
)

// dltFile is dlt's secrets file at path (a project's .dlt/secrets.toml) under the
// project's file rule (internal/projectfs): a link out of the project, or a named pipe
// there, is refused unopened. The project is the folder holding .dlt.
func dltFile(path string) (projectfs.Root, string, error) {
	project := filepath.Dir(filepath.Dir(path))
	root, err := projectfs.Open(project)
	if err != nil {
		return projectfs.Root{}, "", err
	}
	return root, filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path)), nil
}

// ReadDltKey reads [sources.secoda_source] api_key from dlt's secrets file; a missing
// file or key is ErrNotFound.
func ReadDltKey(path string) (string, error) {
	root, rel, err := dltFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	b, err := root.ReadFile(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	var doc struct {
		Sources struct {
			SecodaSource struct {
				APIKey string `toml:"api_key"`
			} `toml:"secoda_source"`
		} `toml:"sources"`
	}
	if err := toml.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("%s does not parse as TOML: %s", path, firstLine(err.Error()))
	}
	if strings.TrimSpace(doc.Sources.SecodaSource.APIKey) == "" {
		return "", ErrNotFound
	}
	return strings.TrimSpace(doc.Sources.SecodaSource.APIKey), nil
}

// BlankDltKey replaces the value of [sources.secoda_source] api_key with "" and keeps
// every other byte of the file as it was: comments, order, other secrets.
func BlankDltKey(path string) error {
	root, rel, err := dltFile(path)
	if err != nil {
		return err
	}
	b, err := root.ReadFile(rel)
	if err != nil {
		return err
	}
	var p unstable.Parser
	p.Reset(b)
	table := ""
	var at *unstable.Range
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = joinKey(e.Key())
		case unstable.KeyValue:
			full := joinKey(e.Key())
			if table != "" {
				full = table + "." + full
			}
			if full == dltTable+"."+dltKey && e.Value().Kind == unstable.String {
				r := e.Value().Raw
				at = &r
			}
		}
	}
	if err := p.Error(); err != nil {
		return fmt.Errorf("%s does not parse as TOML: %s", path, firstLine(err.Error()))
	}
	if at == nil {
		return fmt.Errorf("%s has no [%s] %s to blank", path, dltTable, dltKey)
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:at.Offset]...)
	out = append(out, `""`...)
	out = append(out, b[at.Offset+at.Length:]...)
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	return root.WriteFile(rel, out, info.Mode().Perm())
}

func joinKey(it unstable.Iterator) string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return strings.Join(parts, ".")
}

// DefaultInsecurePath is where --insecure-storage keeps keys: the user's config folder.
func DefaultInsecurePath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "secoda-workbench", "insecure-credentials.toml")
}

// insecureFile is the --insecure-storage file: keys per API host.
type insecureFile struct {
	Hosts map[string]struct {
		APIKey string `toml:"api_key"`
	} `toml:"hosts"`
}

// readInsecure reads a host's key; ErrNotFound when the file or host is missing. A file
// others may read is refused, as ssh refuses a private key with loose permissions.
func readInsecure(path, host string) (string, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s holds an API key in plain text and others may read it (mode %o): run `chmod 600 %s`, or better, move the key into the OS keyring", path, info.Mode().Perm(), path)
	}
	f, err := loadInsecure(path)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(f.Hosts[host].APIKey)
	if v == "" {
		return "", ErrNotFound
	}
	return v, nil
}

func loadInsecure(path string) (*insecureFile, error) {
	f := &insecureFile{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	if err := toml.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("%s does not parse as TOML: %s", path, firstLine(err.Error()))
	}
	return f, nil
}

// writeInsecure stores (or, with an empty key, removes) a host's key in the plain-text
// file, mode 0600 in a folder of mode 0700.
func writeInsecure(path, host, key string) error {
	f, err := loadInsecure(path)
	if err != nil {
		return err
	}
	if f.Hosts == nil {
		f.Hosts = map[string]struct {
			APIKey string `toml:"api_key"`
		}{}
	}
	if key == "" {
		if _, ok := f.Hosts[host]; !ok {
			return ErrNotFound
		}
		delete(f.Hosts, host)
	} else {
		f.Hosts[host] = struct {
			APIKey string `toml:"api_key"`
		}{APIKey: key}
	}
	var b bytes.Buffer
	b.WriteString("# Secoda API keys in PLAIN TEXT, written by `secoda-workbench secrets set --insecure-storage`.\n")
	b.WriteString("# Anyone who can read this file can read your Secoda workspace. Prefer the OS keyring.\n")
	if err := toml.NewEncoder(&b).Encode(f); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return writeAtomic(path, b.Bytes(), 0o600)
}

// writeAtomic replaces a file with a temporary one renamed over it, so a crash leaves
// the old file or the new, never half of one.
func writeAtomic(path string, b []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

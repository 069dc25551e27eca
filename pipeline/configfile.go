package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// The config file as a file of the project, under projectfs's rule: read by every
// command (LoadConfig), shown by the MCP server (ConfigText), written by scaffold and
// scaffold_config (WriteConfig). A config that is a link out of its folder, or a named
// pipe, is refused; one linked to another file of the project is followed.

// openConfigFile opens the config at path (its folder is the project) for reading. A
// refusal comes as an *fs.PathError, as os.Open's errors do, whose cause leaves the
// path out (ConfigError names the file already).
func openConfigFile(path string) (*os.File, error) {
	project, err := projectfs.Open(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	f, err := project.OpenFile(filepath.Base(path), os.O_RDONLY, 0)
	var pe *projectfs.Error
	if errors.As(err, &pe) {
		return nil, &fs.PathError{Op: "open", Path: path, Err: refusal{pe}}
	}
	return f, err
}

// refusal is a projectfs refusal worded without its path.
type refusal struct{ e *projectfs.Error }

func (r refusal) Error() string { return r.e.Reason() }
func (r refusal) Unwrap() error { return r.e }

// WriteConfig writes text as the config of the project in dir, whole (a temporary file
// renamed over it). Without replace, an existing config is kept and the error wraps
// fs.ErrExist.
func WriteConfig(dir, text string, replace bool) error {
	project, err := projectfs.Open(dir)
	if err != nil {
		return err
	}
	if replace {
		return project.WriteFile(ConfigFileName, []byte(text), 0o644)
	}
	return project.CreateFile(ConfigFileName, []byte(text), 0o644)
}

// ConfigText is the config of the project in dir, as text, for showing it (the MCP
// server's config resource). Only a config is shown: a file that does not parse as
// TOML, has sections a config has not, or holds a key named like a credential is
// refused without a byte of it, as a file other than the config may stand in its
// place.
func ConfigText(dir string) (string, error) {
	data, err := readBounded(filepath.Join(dir, ConfigFileName), int64(LimitConfigFile.Max))
	var pe *projectfs.Error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("no %s in %s: %w", ConfigFileName, dir, err)
	case errors.As(err, &pe):
		return "", fmt.Errorf("%s: %s", ConfigFileName, pe.Reason())
	case err != nil:
		return "", err
	}
	if len(data) > int(LimitConfigFile.Max) {
		return "", fmt.Errorf("%s is larger than %s, the most a config takes: it is not shown", ConfigFileName, formatBytes(LimitConfigFile.Max))
	}
	raw, _, err := parseTOML(ConfigFileName, data)
	if err != nil {
		var ce *ConfigError
		line := ""
		if errors.As(err, &ce) && ce.Line > 0 {
			line = " at line " + strconv.Itoa(ce.Line)
		}
		return "", fmt.Errorf("%s does not parse as TOML%s, so it is not shown: validate_config lists its problems", ConfigFileName, line)
	}
	sections, _ := tomlFields(reflect.TypeOf(Config{}))
	for key := range raw {
		if !slices.Contains(sections, key) {
			return "", fmt.Errorf("%s has a section a config has not (%s), so it is not shown: validate_config lists its problems", ConfigFileName, tomlString(key))
		}
	}
	if key, ok := secretKey(raw, ""); ok {
		return "", fmt.Errorf("%s holds a key named like a credential (%s), so it is not shown: %s", ConfigFileName, key, secretMessage)
	}
	return string(data), nil
}

// secretKey finds a key anywhere in a TOML document that looks like a credential.
func secretKey(v any, at string) (string, bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			path := k
			if at != "" {
				path = at + "." + k
			}
			if looksLikeSecret(k) {
				return path, true
			}
			if p, ok := secretKey(sub, path); ok {
				return p, true
			}
		}
	case []any:
		for i, sub := range v {
			if p, ok := secretKey(sub, at+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
	}
	return "", false
}

// checkDestinationFiles refuses a destination path outside the project: an absolute
// path elsewhere, one that climbs out with "..", or one through a symbolic link that
// leads out. There is no way to allow it in the file, since a project someone else
// wrote (a cloned repository) could allow it too; data kept elsewhere means a project
// kept there. The DuckDB file or folder is checked as a run checks it (project.go).
func (d *configDecoder) checkDestinationFiles(plan *Plan, written string) {
	var err error
	switch plan.DestinationType {
	case dest.DuckDB:
		_, err = duckdbFile(plan)
	case dest.Filesystem:
		_, err = filesystemRoot(plan)
	default:
		return
	}
	if errors.Is(err, fs.ErrNotExist) {
		// The config's folder is not there (ParseConfig of a text alone): what can be
		// checked is the path itself.
		if _, inside := relativeTo(plan.Dir, plan.DestinationPath); inside {
			return
		}
		err = &projectfs.Error{Path: written, Folder: plan.Dir, Label: "the project folder", Err: projectfs.ErrOutside}
	}
	if err == nil {
		return
	}
	at := tomlPath{"destination", "path"}
	if !d.has("destination", "path") {
		at = tomlPath{"destination"}
	}
	var pe *projectfs.Error
	if errors.As(err, &pe) && errors.Is(err, projectfs.ErrOutside) && pe.Link == "" {
		d.valueError(at, "%s is outside the project folder %s: a run reads and writes only inside its project, so that a project "+
			"someone else wrote cannot make it write elsewhere; use a path inside it, e.g. %s", tomlString(written), pe.Folder, tomlString(defaultPath(plan)))
		return
	}
	d.valueError(at, "%s", err.Error())
}

func defaultPath(plan *Plan) string {
	if plan.DestinationType == dest.Filesystem {
		return DefaultFilesystemPath
	}
	return DefaultDuckDBPath
}

// relativeTo is path relative to dir, and whether it is inside it, by their names only.
func relativeTo(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
)

func writeProjectFile(t *testing.T, dir, rel, text string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// TestDestinationOutsideTheProject: a destination path that leads out of the project
// (an absolute path elsewhere, "..", or a symbolic link on the way) is a config error,
// at the path's line when the file names it; a path inside, absolute or through a link
// inside, is fine.
func TestDestinationOutsideTheProject(t *testing.T) {
	tests := []struct {
		name     string
		config   string // OUTSIDE stands for a folder outside the project, PROJECT for it
		setup    func(t *testing.T, project, outside string)
		line     int    // 0: no error
		key      string // of the error
		contains string
	}{
		{"an absolute path elsewhere", "[destination]\npath = \"OUTSIDE/secoda.duckdb\"\n", nil, 2, "destination.path",
			"is outside the project folder PROJECT: a run reads and writes only inside its project"},
		{"dot-dot", "[destination]\npath = \"../secoda.duckdb\"\n", nil, 2, "destination.path", `"../secoda.duckdb" is outside the project folder PROJECT`},
		{"a filesystem folder up", "[destination]\ntype = \"filesystem\"\npath = \"../parquet\"\n", nil, 3, "destination.path", `use a path inside it, e.g. "data"`},
		{"a folder on the way linked out", "[destination]\npath = \"data/secoda.duckdb\"\n", func(t *testing.T, p, o string) {
			symlink(t, o, filepath.Join(p, "data"))
		}, 2, "destination.path", "the symbolic link data leads to OUTSIDE, outside the project folder PROJECT"},
		{"the default file linked out", "", func(t *testing.T, p, o string) {
			symlink(t, filepath.Join(o, "x.duckdb"), filepath.Join(p, DefaultDuckDBPath))
		}, 0, "destination", "the symbolic link secoda.duckdb leads to OUTSIDE/x.duckdb"},
		{"its write-ahead log linked out", "", func(t *testing.T, p, o string) {
			symlink(t, filepath.Join(o, "wal"), filepath.Join(p, DefaultDuckDBPath+".wal"))
		}, 0, "destination", "the symbolic link secoda.duckdb.wal leads to OUTSIDE/wal"},
		{"the filesystem dataset linked out", "[destination]\ntype = \"filesystem\"\n", func(t *testing.T, p, o string) {
			if err := os.Mkdir(filepath.Join(p, "data"), 0o755); err != nil {
				t.Fatal(err)
			}
			symlink(t, o, filepath.Join(p, "data", DefaultDatasetName))
		}, 1, "destination", "the symbolic link data/secoda_data leads to OUTSIDE"},
		{"an absolute path inside", "[destination]\npath = \"PROJECT/db/x.duckdb\"\n", nil, -1, "", ""},
		{"a link inside the project", "[destination]\npath = \"data/x.duckdb\"\n", func(t *testing.T, p, o string) {
			if err := os.Mkdir(filepath.Join(p, "store"), 0o755); err != nil {
				t.Fatal(err)
			}
			symlink(t, "store", filepath.Join(p, "data"))
		}, -1, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project, outside := t.TempDir(), t.TempDir()
			if tt.setup != nil {
				tt.setup(t, project, outside)
			}
			config := strings.NewReplacer("OUTSIDE", outside, "PROJECT", project).Replace(tt.config)
			path := writeProjectFile(t, project, ConfigFileName, config+"[resources.tag]\n")
			_, err := LoadConfig(path)
			if tt.line < 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("%v, want a ConfigError", err)
			}
			want := strings.NewReplacer("OUTSIDE", outside, "PROJECT", project).Replace(tt.contains)
			if ce.Line != tt.line || ce.Key != tt.key || !strings.Contains(ce.Message, want) {
				t.Errorf("%v\nwant line %d, key %s, a message with %q", err, tt.line, tt.key, want)
			}
		})
	}
}

// TestConfigFileUnderTheRule: the config is read only as a regular file inside the
// project: a link out of it (to a private key, say) and a named pipe are refused
// without reading them; a link to another file of the project is followed.
func TestConfigFileUnderTheRule(t *testing.T) {
	project, outside := t.TempDir(), t.TempDir()
	key := writeProjectFile(t, outside, "id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")
	path := filepath.Join(project, ConfigFileName)
	symlink(t, key, path)
	_, err := LoadConfig(path)
	var ce *ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, projectfs.ErrOutside) ||
		!strings.Contains(ce.Message, "cannot read the file: the symbolic link secoda_pipeline.toml leads to "+key) ||
		!strings.Contains(ce.Message, "replace the link with a regular file") {
		t.Fatalf("a link out: %v", err)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), "b3Bl") {
		t.Errorf("the error shows the file: %v", err)
	}
	if _, err := ConfigText(project); err == nil || strings.Contains(err.Error(), "PRIVATE") {
		t.Errorf("ConfigText: %v", err)
	}

	os.Remove(path)
	writeProjectFile(t, project, "config/pipeline.toml", "[resources.tag]\n")
	symlink(t, filepath.Join("config", "pipeline.toml"), path)
	if _, err := LoadConfig(path); err != nil {
		t.Errorf("a link inside the project: %v", err)
	}
}

// TestConfigText: the MCP server shows the config, and only a config: what is not
// TOML, not the config's sections, or holds a key named like a credential is refused
// without a byte of it.
func TestConfigText(t *testing.T) {
	const config = "# mine\n[pipeline]\nname = \"x\"\n[resources.tag]\n"
	tests := []struct {
		name, text, refusal string
	}{
		{"the config", config, ""},
		{"a private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n", "does not parse as TOML at line 1"},
		{"an env file", "SECODA_API_KEY = \"sk_live_b3BlbnNzaC1r\"\n", "has a section a config has not"},
		{"another TOML file", "[mcp_servers.x]\ncommand = \"b3BlbnNzaC1r\"\n", "has a section a config has not"},
		{"a credential in it", "[source]\napi_key = \"b3BlbnNzaC1r\"\n[resources.tag]\n", "holds a key named like a credential (source.api_key)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := t.TempDir()
			writeProjectFile(t, project, ConfigFileName, tt.text)
			got, err := ConfigText(project)
			if tt.refusal == "" {
				if err != nil || got != tt.text {
					t.Fatalf("%q, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.refusal) || got != "" {
				t.Fatalf("%q, %v; want a refusal with %q", got, err, tt.refusal)
			}
			if strings.Contains(err.Error(), "b3Bl") {
				t.Errorf("the refusal shows the file: %v", err)
			}
		})
	}
}

// TestWriteConfigUnderTheRule: scaffold's write never goes through a link out of the
// project (the link and where it leads stay as they were), replaces a link's target
// inside it, and without replace keeps an existing file.
func TestWriteConfigUnderTheRule(t *testing.T) {
	project, outside := t.TempDir(), t.TempDir()
	target := writeProjectFile(t, outside, "precious.toml", "precious\n")
	symlink(t, target, filepath.Join(project, ConfigFileName))
	beforeOut, beforeIn := filetree.Snapshot(t, outside), filetree.Snapshot(t, project)
	for _, replace := range []bool{false, true} {
		err := WriteConfig(project, "[resources.tag]\n", replace)
		if replace && !errors.Is(err, projectfs.ErrOutside) || !replace && !errors.Is(err, fs.ErrExist) && !errors.Is(err, projectfs.ErrOutside) {
			t.Errorf("replace %v: %v", replace, err)
		}
	}
	if after := filetree.Snapshot(t, outside); !reflect.DeepEqual(beforeOut, after) {
		t.Errorf("wrote outside the project: %v", after)
	}
	if after := filetree.Snapshot(t, project); !reflect.DeepEqual(beforeIn, after) {
		t.Errorf("changed the project although it refused: %v", after)
	}

	project = t.TempDir()
	writeProjectFile(t, project, "config/pipeline.toml", "old\n")
	symlink(t, filepath.Join("config", "pipeline.toml"), filepath.Join(project, ConfigFileName))
	if err := WriteConfig(project, "new\n", false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("without replace: %v", err)
	}
	if err := WriteConfig(project, "new\n", true); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"config/": "", "config/pipeline.toml": "new\n", ConfigFileName: "link to " + filepath.Join("config", "pipeline.toml")}
	if got := filetree.Snapshot(t, project); !reflect.DeepEqual(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

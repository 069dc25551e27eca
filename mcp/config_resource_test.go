package mcp

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// TestConfigResourceShowsOnlyTheConfig: the config resource never echoes a file a link
// leads to outside the project (a private key, say), nor a file in the config's place
// that is not a config; a config linked from inside the project is shown.
func TestConfigResourceShowsOnlyTheConfig(t *testing.T) {
	const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
	tests := []struct {
		name  string
		setup func(t *testing.T, dir, outside string)
		shown string // "" for a refusal
		why   string
	}{
		{"a link to a private key outside", func(t *testing.T, dir, outside string) {
			writeFile(t, filepath.Join(outside, "id_ed25519"), key)
			link(t, filepath.Join(outside, "id_ed25519"), filepath.Join(dir, pipeline.ConfigFileName))
		}, "", "the symbolic link secoda_pipeline.toml leads to "},
		{"a link to a TOML file outside", func(t *testing.T, dir, outside string) {
			writeFile(t, filepath.Join(outside, "config.toml"), "[resources.collection]\n")
			link(t, filepath.Join(outside, "config.toml"), filepath.Join(dir, pipeline.ConfigFileName))
		}, "", "outside the project folder"},
		{"a private key in the project, linked", func(t *testing.T, dir, outside string) {
			writeFile(t, filepath.Join(dir, "id_ed25519"), key)
			link(t, "id_ed25519", filepath.Join(dir, pipeline.ConfigFileName))
		}, "", "does not parse as TOML"},
		{"a config linked from inside the project", func(t *testing.T, dir, outside string) {
			writeFile(t, filepath.Join(dir, "config", "pipeline.toml"), "[resources.collection]\n")
			link(t, filepath.Join("config", "pipeline.toml"), filepath.Join(dir, pipeline.ConfigFileName))
		}, "[resources.collection]\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, Options{})
			tt.setup(t, s.dir, t.TempDir())
			req := mcpgo.ReadResourceRequest{}
			req.Params.URI = "secoda-workbench://config"
			res, err := s.c.ReadResource(context.Background(), req)
			if tt.shown != "" {
				if err != nil || res.Contents[0].(mcpgo.TextResourceContents).Text != tt.shown {
					t.Fatalf("%v %v", res, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("shown: %q", res.Contents[0].(mcpgo.TextResourceContents).Text)
			}
			if !strings.Contains(err.Error(), tt.why) || strings.Contains(err.Error(), "b3Bl") || strings.Contains(err.Error(), "PRIVATE") {
				t.Errorf("%v, want a refusal with %q and nothing of the file", err, tt.why)
			}
		})
	}
}

// TestScaffoldConfigKeepsALinkOut: scaffold_config with overwrite refuses a config that
// is a link out of the project, and neither the link nor the file it leads to change.
func TestScaffoldConfigKeepsALinkOut(t *testing.T) {
	s := newSession(t, Options{})
	outside := filepath.Join(t.TempDir(), "precious.toml")
	writeFile(t, outside, "precious\n")
	link(t, outside, filepath.Join(s.dir, pipeline.ConfigFileName))
	res := s.call(t, "scaffold_config", map[string]any{"resources": []string{"collection"}, "overwrite": true})
	if !res.IsError || !strings.Contains(textOf(res), "the symbolic link secoda_pipeline.toml leads to "+outside) ||
		!strings.Contains(textOf(res), "replace the link with a regular file") {
		t.Fatalf("%s", textOf(res))
	}
	if b, _ := os.ReadFile(outside); string(b) != "precious\n" {
		t.Errorf("the file the link leads to was written: %q", b)
	}
	if target, err := os.Readlink(filepath.Join(s.dir, pipeline.ConfigFileName)); err != nil || target != outside {
		t.Errorf("the link was replaced: %q %v", target, err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

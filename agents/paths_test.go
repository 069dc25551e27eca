package agents

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
)

// TestLinkOutsideIsRefused: a folder or file of the project that is a symbolic link
// out of it is refused, and nothing is written where it leads.
func TestLinkOutsideIsRefused(t *testing.T) {
	fixedHome(t)
	tests := []struct {
		name    string
		agent   Agent
		link    string // in the project
		target  string // in the outside folder; "" is the folder itself
		exists  bool   // whether the target exists
		refused []string
	}{
		{".claude to a folder outside", Claude, ".claude", "", true, filesUnder(Claude, ".claude/")},
		{".cursor to a folder outside", Cursor, ".cursor", "", true, filesUnder(Cursor, ".cursor/")},
		{".mcp.json to a file outside", Claude, ".mcp.json", "mcp.json", true, []string{".mcp.json"}},
		{"AGENTS.md to a file outside", Codex, "AGENTS.md", "AGENTS.md", true, []string{"AGENTS.md"}},
		{".claude to a folder outside that does not exist yet", Claude, ".claude", "claude", false, filesUnder(Claude, ".claude/")},
		{".codex to a folder outside that does not exist yet", Codex, ".codex", "codex", false, []string{".codex/config.toml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project, outside := t.TempDir(), t.TempDir()
			target := filepath.Join(outside, tt.target)
			if tt.exists && tt.target != "" {
				writeFile(t, outside, tt.target, "{}\n")
			}
			if err := os.Symlink(target, filepath.Join(project, tt.link)); err != nil {
				t.Fatal(err)
			}
			before := filetree.Snapshot(t, outside)

			changes, err := Plan(t.Context(), project, tt.agent, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			var refused []string
			for _, c := range changes {
				if c.Status == Refused {
					refused = append(refused, c.Path)
					if !errors.Is(c.Err, ErrOutside) {
						t.Errorf("%s: %v, want %v", c.Path, c.Err, ErrOutside)
					}
				}
			}
			if !reflect.DeepEqual(refused, tt.refused) {
				t.Errorf("refused %v, want %v", refused, tt.refused)
			}
			applyRefused(t, project, changes) // and nothing else either
			if after := filetree.Snapshot(t, outside); !reflect.DeepEqual(before, after) {
				t.Errorf("init wrote outside the project: %v", after)
			}
			if info, err := os.Lstat(filepath.Join(project, tt.link)); err != nil || info.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the link %s was replaced", tt.link)
			}
		})
	}
}

// filesUnder are the files init writes for an agent under a folder, in its order:
// the skills, the commands, and the rest.
func filesUnder(a Agent, folder string) []string {
	var out []string
	for _, e := range testOptions.edits(a) {
		if strings.HasPrefix(e.path, folder) {
			out = append(out, e.path)
		}
	}
	return out
}

// TestProjectThroughLink: a project reached through a symbolic link is the folder the
// link leads to, and init works in it.
func TestProjectThroughLink(t *testing.T) {
	fixedHome(t)
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "project")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, a := range Agents {
		for _, c := range apply(t, link, a, testOptions) {
			if c.Status != Created && !(c.Path == ".gitignore" && a != Claude) {
				t.Errorf("%s: %s %s (%v)", a, c.Path, c.Status, c.Err)
			}
			if _, err := os.Stat(filepath.Join(real, c.Path)); err != nil {
				t.Errorf("%s: %v", c.Path, err)
			}
		}
		assertIdempotent(t, link, a, testOptions)
	}
}

// TestLinkInsideProjectStaysALink: a common setup links CLAUDE.md to AGENTS.md; init
// writes the file the link leads to and keeps the link.
func TestLinkInsideProjectStaysALink(t *testing.T) {
	fixedHome(t)
	dir := t.TempDir()
	const mine = "# Agents\n\nMine.\n"
	writeFile(t, dir, "AGENTS.md", mine)
	if err := os.Symlink("AGENTS.md", filepath.Join(dir, "CLAUDE.md")); err != nil {
		t.Fatal(err)
	}
	if c := find(t, apply(t, dir, Claude, testOptions), "CLAUDE.md"); c.Status != Updated {
		t.Fatalf("CLAUDE.md: %s", c.Status)
	}
	if target, err := os.Readlink(filepath.Join(dir, "CLAUDE.md")); err != nil || target != "AGENTS.md" {
		t.Fatalf("CLAUDE.md is no longer a link to AGENTS.md: %q, %v", target, err)
	}
	got := string(readFile(t, dir, "AGENTS.md"))
	if !strings.HasPrefix(got, mine+"\n<!-- secoda-workbench:begin") || strings.Count(got, mdEnd) != 1 {
		t.Errorf("AGENTS.md: %q", got)
	}
	// Codex's block is the same block: nothing to do.
	if c := find(t, apply(t, dir, Codex, testOptions), "AGENTS.md"); c.Status != Unchanged {
		t.Errorf("AGENTS.md for Codex after Claude: %s", c.Status)
	}
}

func TestLinkLoopIsRefused(t *testing.T) {
	dir := t.TempDir()
	for link, target := range map[string]string{".claude": ".claude-too", ".claude-too": ".claude"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	changes, err := Plan(t.Context(), dir, Claude, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if c := find(t, changes, ".claude/settings.json"); c.Status != Refused || !strings.Contains(c.Err.Error(), "too many symbolic links") {
		t.Errorf("a loop of links: %s (%v)", c.Status, c.Err)
	}
}

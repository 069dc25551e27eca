package agents

import (
	"os"
	"path/filepath"
)

// Detect names the agents a project (then the home folder) shows signs of: their
// config files and folders.
func Detect(project, home string) []Agent {
	signs := map[Agent][]string{
		Claude: {".mcp.json", "CLAUDE.md", ".claude"},
		Cursor: {".cursor", ".cursorrules", ".cursorignore"},
		Codex:  {".codex", ".codexignore", ".agents"},
	}
	look := func(dir string, names map[Agent][]string) []Agent {
		var found []Agent
		for _, a := range Agents {
			for _, n := range names[a] {
				if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
					found = append(found, a)
					break
				}
			}
		}
		return found
	}
	if found := look(project, signs); len(found) > 0 {
		return found
	}
	if home == "" {
		return nil
	}
	return look(home, map[Agent][]string{Claude: {".claude", ".claude.json"}, Cursor: {".cursor"}, Codex: {".codex"}})
}

// Package agents is `init --agent`: the files that wire a coding agent (Claude Code,
// Cursor, Codex) to secoda-workbench's MCP server, its rules and its skill, and keep
// secrets out of the agent's reach. The texts are real files under files/, embedded.
//
// It merges and never clobbers: other servers, settings and user text survive byte for
// byte, JSON and TOML stay valid, managed Markdown and ignore blocks sit between
// markers and are replaced on re-run, and a managed file or block the user edited is
// left alone unless forced. A second run changes nothing.
package agents

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/tools"
)

//go:embed files/rules.md
var rules string

//go:embed files/skill.md
var skill string

// Agent is a coding agent init knows.
type Agent string

const (
	Claude Agent = "claude"
	Cursor Agent = "cursor"
	Codex  Agent = "codex"
)

// Agents lists them.
var Agents = []Agent{Claude, Cursor, Codex}

// ParseAgent checks an agent's name.
func ParseAgent(s string) (Agent, error) {
	for _, a := range Agents {
		if string(a) == strings.ToLower(strings.TrimSpace(s)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown agent %q: use claude, cursor or codex", s)
}

// ServerName is the MCP server's name in every agent's config.
const ServerName = "secoda-workbench"

// SkillName is the workflow skill's folder name.
const SkillName = "secoda-pipeline"

// Options say how to wire an agent.
type Options struct {
	// Command starts the server: the binary's name when it is on PATH, else its
	// absolute path.
	Command string
	// InsecureFile is the --insecure-storage file, denied to the agent like dlt's.
	InsecureFile string
	// Force replaces managed files and blocks the user edited.
	Force bool
}

// secretFiles are the plain-text secret files of a project, which no agent may read
// and git must not track.
var secretFiles = []string{".dlt/secrets.toml"}

// dataFiles are what a run writes into the project.
var dataFiles = []string{"secoda.duckdb", "secoda.duckdb.wal", "secoda.duckdb.tmp/", ".secoda-workbench/"}

// readOnlyTools are allowed without asking in Claude Code: every tool of tools.All,
// the server's one list, that writes nothing.
var readOnlyTools = func() []string {
	var names []string
	for _, t := range tools.All(&tools.Deps{}) {
		if !t.Writes() {
			names = append(names, t.Def.Name)
		}
	}
	return names
}()

// edit is one file's change: compute turns the current content (nil when the file does
// not exist) into the new one.
type edit struct {
	path    string // relative to the project, with /
	what    string // for the report: "MCP server", "rules", ...
	compute func(old []byte, force bool) ([]byte, error)
}

func (o Options) edits(a Agent) []edit {
	gitignore := edit{".gitignore", "the DuckDB file and plain-text secrets kept out of git",
		ignoreBlock(append(append([]string{}, dataFiles...), secretFiles...))}
	switch a {
	case Claude:
		return []edit{
			{".mcp.json", "MCP server", o.jsonServer(claudeEnv)},
			{"CLAUDE.md", "always-on rules (managed block)", markdownBlock(rules)},
			{".claude/skills/" + SkillName + "/SKILL.md", "workflow skill", managedFile(skillFile())},
			{".claude/settings.json", "deny reading secrets; allow the read-only tools", o.claudeSettings()},
			gitignore,
		}
	case Cursor:
		return []edit{
			{".cursor/mcp.json", "MCP server", o.jsonServer(cursorEnv)},
			{".cursor/rules/secoda-workbench.mdc", "always-on rules", managedFile(cursorRule())},
			{".cursor/skills/" + SkillName + "/SKILL.md", "workflow skill", managedFile(skillFile())},
			{".cursorignore", "secrets kept out of reach", ignoreBlock(secretFiles)},
			gitignore,
		}
	default:
		return []edit{
			{".codex/config.toml", "MCP server", o.codexServer()},
			{"AGENTS.md", "always-on rules (managed block)", markdownBlock(rules)},
			{".agents/skills/" + SkillName + "/SKILL.md", "workflow skill", managedFile(skillFile())},
			{".codexignore", "secrets kept out of reach", ignoreBlock(secretFiles)},
			gitignore,
		}
	}
}

// claudeEnv and cursorEnv pass the API URL by reference, never a value; the key comes
// from the OS keyring (or the environment the client already has).
var (
	claudeEnv = map[string]string{"SECODA_API_URL": "${SECODA_API_URL:-}"}
	cursorEnv = map[string]string{"SECODA_API_URL": "${env:SECODA_API_URL}"}
)

// NextStep is what the user does after init, per agent.
func NextStep(a Agent) string {
	switch a {
	case Claude:
		return "Start Claude Code in this folder and approve the project MCP server `secoda-workbench` when it asks (`claude mcp list` shows it). " +
			"Store your key once with `secoda-workbench secrets set`."
	case Cursor:
		return "Open Cursor in this folder and enable `secoda-workbench` under Settings → MCP. Store your key once with `secoda-workbench secrets set`."
	}
	return "Trust this project in Codex (it reads .codex/config.toml only in trusted projects), then `codex mcp list` shows the server. " +
		"Store your key once with `secoda-workbench secrets set`."
}

// skillFile is the skill with its frontmatter.
func skillFile() string {
	return "---\nname: " + SkillName + "\ndescription: \"Build, run and debug the Secoda pipeline with the secoda-workbench MCP tools: " +
		"choose endpoints, check the key, scaffold the config, preview, load, query.\"\n---\n\n" + skill
}

// cursorRule is the rules as a Cursor rule that always applies.
func cursorRule() string {
	return "---\ndescription: \"secoda-workbench: load and query the Secoda workspace through its MCP tools; keep the API key out of the chat\"\n" +
		"globs:\nalwaysApply: true\n---\n\n" + rules
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Package agents is `init --agent`: the files that wire a coding agent (Claude Code,
// Cursor, Codex) to secoda-workbench's MCP server, its rules, a skill per workflow and
// the commands that start them, and keep secrets out of the agent's reach. The texts
// are real files under files/, embedded.
//
// It merges and never clobbers: other servers, settings and user text survive byte for
// byte, JSON and TOML stay valid, managed Markdown and ignore blocks sit between
// markers and are replaced on re-run, and a managed file or block the user edited is
// left alone unless forced. A second run changes nothing.
package agents

import (
	"embed"
	"fmt"
	"sort"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/tools"
)

//go:embed files/rules.md
var rules string

//go:embed files/skills/*.md
var skillTexts embed.FS

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

// SkillName is the skill that loads a workspace, the first workflow.
const SkillName = "secoda-pipeline"

// Skill is one workflow written for agents: its steps name the MCP tools and CLI
// commands to use. Its text is files/skills/<Name>.md.
type Skill struct {
	Name string
	// Description is the front matter's: when to use the skill, which agents choose
	// skills by.
	Description string
	// Summary is the entry command's one line.
	Summary string
	Body    string
}

// Skills are the workflows init installs, each with an entry command where the client
// has them.
var Skills = []Skill{
	skillOf(SkillName,
		"Use to load a Secoda workspace with secoda-workbench for the first time, or to add endpoints: "+
			"choose endpoints, check the key, scaffold the config, preview, load, query.",
		"Load the Secoda workspace into the local dataset, step by step"),
	skillOf("debug-pipeline",
		"Use when a secoda-workbench run failed, stopped or was slow: read the run trace, fix the cause "+
			"(key, rate limit, contract, config, destination), run again and check the status.",
		"Find why the last pipeline run failed or was slow, fix it and run again"),
	skillOf("adjust-endpoint",
		"Use to change what a resource of secoda_pipeline.toml loads: filters, sort, params, partitions, "+
			"write disposition, primary key, incremental cursor, schema contract, page cap; then preview and load one page.",
		"Change an endpoint's filter, disposition, cursor or contract, and try it on one page"),
	skillOf("validate-data",
		"Use to check the loaded Secoda data: row counts against Secoda's, duplicate ids, incremental cursors, "+
			"child tables joining their parent, complete loads.",
		"Check the loaded data: counts against Secoda, duplicates, cursors, child tables"),
	skillOf("explore-catalog",
		"Use to answer questions about the loaded Secoda catalog: find a resource, describe it, walk its lineage, "+
			"report documentation coverage, then query deeper with SQL.",
		"Find, describe and report on resources of the loaded catalog"),
	skillOf("schedule-pipeline",
		"Use to run the secoda-workbench pipeline unattended on a schedule (GitHub Actions, systemd, cron, Kubernetes): "+
			"deploy, the secrets to set, failure notifications, and checking the first scheduled run.",
		"Put the pipeline on a schedule, be told when it fails, and check the first run"),
}

func skillOf(name, description, summary string) Skill {
	body, err := skillTexts.ReadFile("files/skills/" + name + ".md")
	if err != nil {
		panic(err) // embedded: a missing file is a build mistake
	}
	return Skill{Name: name, Description: description, Summary: summary, Body: string(body)}
}

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
// the server's one list, that writes nothing. A function, not a variable: building the
// tools' schemas is work that every command's start-up would pay for.
func readOnlyTools() []string {
	var names []string
	for _, t := range tools.All(&tools.Deps{}) {
		if !t.Writes() {
			names = append(names, t.Def.Name)
		}
	}
	return names
}

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
	var out []edit
	switch a {
	case Claude:
		out = append(out,
			edit{".mcp.json", "MCP server", o.jsonServer(claudeEnv)},
			edit{"CLAUDE.md", "always-on rules (managed block)", markdownBlock(rules)})
	case Cursor:
		out = append(out,
			edit{".cursor/mcp.json", "MCP server", o.jsonServer(cursorEnv)},
			edit{".cursor/rules/secoda-workbench.mdc", "always-on rules", managedFile(cursorRule())})
	default:
		out = append(out,
			edit{".codex/config.toml", "MCP server", o.codexServer()},
			edit{"AGENTS.md", "always-on rules (managed block)", markdownBlock(rules)})
	}
	for _, s := range Skills {
		out = append(out, edit{SkillPath(a, s.Name), "workflow skill", managedFile(skillFile(s))})
	}
	for _, s := range Skills {
		if path := CommandPath(a, s.Name); path != "" {
			out = append(out, edit{path, "entry command /" + s.Name, managedFile(CommandFile(a, s))})
		}
	}
	switch a {
	case Claude:
		out = append(out, edit{".claude/settings.json", "deny reading secrets; allow the read-only tools", o.claudeSettings()})
	case Cursor:
		out = append(out, edit{".cursorignore", "secrets kept out of reach", ignoreBlock(secretFiles)})
	default:
		out = append(out, edit{".codexignore", "secrets kept out of reach", ignoreBlock(secretFiles)})
	}
	return append(out, gitignore)
}

// SkillPath is where an agent reads a skill, relative to the project.
func SkillPath(a Agent, name string) string {
	switch a {
	case Claude:
		return ".claude/skills/" + name + "/SKILL.md"
	case Cursor:
		return ".cursor/skills/" + name + "/SKILL.md"
	}
	return ".agents/skills/" + name + "/SKILL.md"
}

// CommandPath is where an agent reads an entry command, relative to the project; ""
// for Codex, which has no project commands.
func CommandPath(a Agent, name string) string {
	switch a {
	case Claude:
		return ".claude/commands/" + name + ".md"
	case Cursor:
		return ".cursor/commands/" + name + ".md"
	}
	return ""
}

// CommandFile is a skill's entry command: a prompt that starts the skill. Claude Code
// reads front matter (description, argument-hint) and puts what the user typed at
// $ARGUMENTS; Cursor reads plain Markdown and appends what the user typed.
func CommandFile(a Agent, s Skill) string {
	start := "Follow the `" + s.Name + "` skill (" + SkillPath(a, s.Name) + ") step by step, with the secoda-workbench MCP tools."
	switch a {
	case Claude:
		return "---\ndescription: \"" + s.Summary + "\"\nargument-hint: \"[what to look at]\"\n---\n\n" +
			start + "\n\nThe user's request: $ARGUMENTS\n"
	case Cursor:
		return "# " + s.Summary + "\n\n" + start + " The user's request follows.\n"
	}
	return ""
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

// skillFile is a skill with its front matter.
func skillFile(s Skill) string {
	return "---\nname: " + s.Name + "\ndescription: \"" + s.Description + "\"\n---\n\n" + s.Body
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

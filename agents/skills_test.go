package agents

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/tools"
)

// wantSkills are the workflows, by name; the skill files and commands follow them.
var wantSkills = []string{"secoda-pipeline", "debug-pipeline", "adjust-endpoint", "validate-data", "explore-catalog", "schedule-pipeline"}

// commands is how many entry commands init writes for an agent.
func commands(a Agent) int {
	if CommandPath(a, SkillName) == "" {
		return 0
	}
	return len(Skills)
}

func TestSkillsAreTheWorkflows(t *testing.T) {
	var names []string
	for _, s := range Skills {
		names = append(names, s.Name)
		if !strings.HasPrefix(s.Description, "Use ") || strings.ContainsAny(s.Description+s.Summary, "\"\\\n") {
			t.Errorf("%s: the description says when to use it (\"Use ...\") and fits a YAML string: %q; %q", s.Name, s.Description, s.Summary)
		}
		if !strings.HasPrefix(s.Body, "# ") || !strings.Contains(s.Body, "\n1. **") {
			t.Errorf("%s: the body is a heading and numbered steps:\n%.200s", s.Name, s.Body)
		}
	}
	if !slices.Equal(names, wantSkills) {
		t.Errorf("skills %v, want %v", names, wantSkills)
	}
	// Every text under files/skills is a skill: none is left out of init.
	files, err := fs.Glob(skillTexts, "files/skills/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !slices.Contains(names, strings.TrimSuffix(filepath.Base(f), ".md")) {
			t.Errorf("%s is no skill of Skills", f)
		}
	}
}

// texts are every skill and command init writes, by where it writes them.
func texts() map[string]string {
	out := map[string]string{}
	for _, a := range Agents {
		for _, s := range Skills {
			out[SkillPath(a, s.Name)] = skillFile(s)
			if p := CommandPath(a, s.Name); p != "" {
				out[p] = CommandFile(a, s)
			}
		}
	}
	return out
}

// identifier is a backticked snake_case word that may name a tool, alone or before
// an argument's value (`max_pages: 1`) or a config value (`rate_limit = 60`).
var identifier = regexp.MustCompile(`^([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?:$|:| =)`)

// notTools are snake_case words the skills show that are neither a tool, a field of a
// tool's input or output, nor an endpoint: config keys, error kinds, contract modes.
// A word missing from every list fails the test: a tool renamed, or a typo.
var notTools = []string{
	// secoda_pipeline.toml
	"write_disposition", "primary_key", "schema_contract", "page_cap", "catalog_cap", "rate_limit", "base_url",
	"max_table_nesting", "detail_concurrency", "discard_row", "discard_value", "data_type",
	// the trace's error kinds (pipeline.TraceError.Kind)
	"key_rejected", "rate_limited", "server_failing", "not_found", "bad_request", "in_use",
	// a field of Secoda's records
	"updated_at",
}

// knownWords are the words a skill may show in backticks: the tools, every field of
// their schemas, the endpoints and notTools.
func knownWords(t *testing.T) (toolNames, known map[string]bool) {
	t.Helper()
	toolNames, known = map[string]bool{}, map[string]bool{}
	for _, tool := range tools.All(&tools.Deps{}) {
		toolNames[tool.Def.Name] = true
		b, err := json.Marshal(tool.Def)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		schemaFields(doc, known)
	}
	for _, e := range secoda.Endpoints {
		known[e.Name] = true
	}
	for _, w := range notTools {
		known[w] = true
	}
	return toolNames, known
}

// schemaFields adds the names of every "properties" object in a JSON schema.
func schemaFields(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		if props, ok := v["properties"].(map[string]any); ok {
			for k := range props {
				into[k] = true
			}
		}
		for _, x := range v {
			schemaFields(x, into)
		}
	case []any:
		for _, x := range v {
			schemaFields(x, into)
		}
	}
}

// namedTools checks the backticked identifiers of a text: it returns the tools named,
// and an error for each identifier that is no tool, field or known word.
func namedTools(text string, toolNames, known map[string]bool) (named []string, errs []error) {
	for _, c := range CodeIn(text) {
		if !c.Inline {
			continue
		}
		m := identifier.FindStringSubmatch(c.Text)
		switch {
		case m == nil:
		case toolNames[m[1]]:
			named = append(named, m[1])
		case !known[m[1]]:
			errs = append(errs, errors.New("`"+c.Text+"` names "+m[1]+", which is no MCP tool of tools.All, no field of one, no endpoint"))
		}
	}
	return named, errs
}

func TestSkillsNameOnlyTheServersTools(t *testing.T) {
	toolNames, known := knownWords(t)
	for path, text := range texts() {
		named, errs := namedTools(text, toolNames, known)
		for _, err := range errs {
			t.Errorf("%s: %v", path, err)
		}
		if strings.HasSuffix(path, "SKILL.md") && len(named) < 3 {
			t.Errorf("%s names %v: a skill's steps name the tools to use", path, named)
		}
	}
	// The check itself: a renamed tool or argument fails.
	for _, bad := range []string{"Call `get_run_traces`.", "`run_pipeline` with `max_page: 1`", "`get_row_count`"} {
		if _, errs := namedTools(bad, toolNames, known); len(errs) == 0 {
			t.Errorf("%q passes", bad)
		}
	}
	if named, errs := namedTools("`run_pipeline` with `max_pages: 1`, then\n`pipeline_status`", toolNames, known); len(errs) != 0 ||
		!slices.Equal(named, []string{"run_pipeline", "pipeline_status"}) {
		t.Errorf("named %v, %v", named, errs)
	}
}

func TestCodeIn(t *testing.T) {
	md := "Run `a b`\n`c\nd` and:\n  ```sql\n  SELECT 1\n  FROM t\n  ```\n```\nsecoda-workbench trace `x`\n````\nafter `e`\n```sh\nunclosed"
	// As in CommonMark, a longer fence closes a block, and an unclosed one runs to the end.
	want := []Code{
		{Lang: "sql", Text: "SELECT 1\nFROM t"},
		{Text: "secoda-workbench trace `x`"},
		{Lang: "sh", Text: "unclosed"},
		{Inline: true, Text: "a b"}, {Inline: true, Text: "c d"}, {Inline: true, Text: "e"},
	}
	if got := CodeIn(md); !slices.Equal(got, want) {
		t.Errorf("CodeIn:\n%+v\nwant\n%+v", got, want)
	}
}

func FuzzCodeIn(f *testing.F) {
	for _, s := range Skills {
		f.Add(s.Body)
	}
	f.Fuzz(func(t *testing.T, md string) {
		for _, c := range CodeIn(md) {
			if c.Inline && (c.Text == "" || strings.Contains(c.Text, "`")) {
				t.Errorf("span %q", c.Text)
			}
		}
	})
}

// TestInitInstallsEverySkillAndCommand writes each agent's files into an empty
// project: every skill where the agent reads skills, an entry command for each where
// the agent has commands (Codex has none), and a second run changes nothing.
func TestInitInstallsEverySkillAndCommand(t *testing.T) {
	fixedHome(t)
	for _, a := range Agents {
		t.Run(string(a), func(t *testing.T) {
			dir := t.TempDir()
			changes := apply(t, dir, a, testOptions)
			for _, name := range wantSkills {
				skill := map[Agent]string{Claude: ".claude/skills/", Cursor: ".cursor/skills/", Codex: ".agents/skills/"}[a] + name + "/SKILL.md"
				if c := find(t, changes, skill); c.Status != Created || !strings.HasPrefix(string(c.New), "---\nname: "+name+"\n") {
					t.Errorf("%s: %s %.40q", skill, c.Status, c.New)
				}
				command := map[Agent]string{Claude: ".claude/commands/", Cursor: ".cursor/commands/"}[a]
				if command == "" {
					continue
				}
				command += name + ".md"
				if c := find(t, changes, command); c.Status != Created || !strings.Contains(string(c.New), "Follow the `"+name+"` skill ("+skill+")") {
					t.Errorf("%s: %s %q", command, c.Status, c.New)
				}
			}
			if a == Codex {
				for _, d := range []string{".codex/commands", ".agents/commands"} {
					if _, err := os.Stat(filepath.Join(dir, d)); err == nil {
						t.Errorf("%s written for Codex, which has no commands", d)
					}
				}
			}
			assertIdempotent(t, dir, a, testOptions)
		})
	}
}

func TestEditedCommandIsRefusedUnlessForced(t *testing.T) {
	fixedHome(t)
	for _, a := range []Agent{Claude, Cursor} {
		t.Run(string(a), func(t *testing.T) {
			dir := t.TempDir()
			path := CommandPath(a, "validate-data")
			apply(t, dir, a, testOptions)
			edited := string(readFile(t, dir, path)) + "\nAlso count the tags.\n"
			writeFile(t, dir, path, edited)
			changes, err := Plan(t.Context(), dir, a, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			if c := find(t, changes, path); c.Status != Refused || !errors.Is(c.Err, ErrEdited) {
				t.Fatalf("%s: %s (%v), want refused as edited", path, c.Status, c.Err)
			}
			applyRefused(t, dir, changes)
			forced := testOptions
			forced.Force = true
			if c := find(t, apply(t, dir, a, forced), path); c.Status != Updated {
				t.Fatalf("with force: %s", c.Status)
			}
			golden(t, goldenPath("fresh", a, path), readFile(t, dir, path))
			assertIdempotent(t, dir, a, testOptions)
		})
	}
}

package agents

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testOptions are fixed, so that the golden files are stable. The insecure file is
// under the test's home folder (see fixedHome), so Claude's rule for it is ~/...
var testOptions = Options{
	Command:      "/opt/bin/secoda-workbench",
	InsecureFile: "/home/u/.config/secoda-workbench/insecure-credentials.toml",
}

// fixedHome makes the home folder the one testOptions' insecure file sits in:
// Claude's permission rules name paths under it with ~/.
func fixedHome(t *testing.T) {
	t.Helper()
	t.Setenv("HOME", "/home/u")
}

// newKey is an API key made for this run only, to show that none is ever written.
func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "sk_test_" + hex.EncodeToString(b)
}

// fixture is a file the user had before init. Its parts alternate: the user's text
// (kept byte for byte), then a region init replaces or inserts into (often empty),
// then the user's text again, and so on.
type fixture struct {
	path  string
	parts []string
}

func (f fixture) content() string { return strings.Join(f.parts, "") }

// user is the user's parts of the file, the even ones.
func (f fixture) user() []string {
	var out []string
	for i := 0; i < len(f.parts); i += 2 {
		out = append(out, f.parts[i])
	}
	return out
}

// staleBlock is a managed Markdown block as an older init wrote it: its hash
// matches, so it is init's to replace.
func staleBlock(body string) string {
	b, _ := markdownBlock(body)(nil, false)
	return strings.TrimSuffix(string(b), "\n")
}

// staleFile is a managed file as an older init wrote it.
func staleFile(content string) string {
	b, _ := managedFile(content)(nil, false)
	return string(b)
}

// mergedFixtures are each agent's files as a user might have them: other servers,
// other settings, their own text around init's, unusual indentation, no final newline.
func mergedFixtures(a Agent) []fixture {
	gitignore := fixture{".gitignore", []string{"node_modules/\n# logs\n*.log\n.env", ""}}
	switch a {
	case Claude:
		return []fixture{
			{".mcp.json", []string{
				"{\n    \"mcpServers\": {\n        \"docs\": {\n            \"command\": \"npx\",\n            \"args\": [\"-y\", \"docs-mcp\"],\n" +
					"            \"env\": {\"DOCS_TOKEN\": \"${DOCS_TOKEN}\"}\n        }",
				"",
				"\n    },\n    \"extraTopLevel\": {\"keep\": [1, 2.50, \"x\"], \"unicode\": \"caf\\u00e9 \\u003c\"}\n}\n",
			}},
			{"CLAUDE.md", []string{
				"# My project\n\nNotes of mine, before init's block.\n\n",
				staleBlock("## Secoda data: an older version of the rules\n\nOld text."),
				"\n\n## After\n\nMine too, after the block. No final newline",
			}},
			{".claude/skills/" + SkillName + "/SKILL.md", []string{"",
				staleFile("---\nname: " + SkillName + "\ndescription: an older skill\n---\n\nOld steps.\n"), ""}},
			{".claude/commands/debug-pipeline.md", []string{"",
				staleFile("---\ndescription: an older command\n---\n\nOld prompt.\n"), ""}},
			{".claude/settings.json", []string{
				"{\n  \"$schema\": \"https://json.schemastore.org/claude-code-settings.json\",\n  \"permissions\": {\n    \"allow\": ",
				"[\"Bash(npm run test:*)\"]",
				",\n    \"deny\": ",
				"[\n      \"Read(./.env)\",\n      \"Read(./.dlt/secrets.toml)\"\n    ]",
				",\n    \"defaultMode\": \"acceptEdits\"\n  },\n  \"env\": {\"FOO\": \"bar\"},\n  \"model\": \"sonnet\"\n}\n",
			}},
			gitignore,
		}
	case Cursor:
		return []fixture{
			{".cursor/mcp.json", []string{
				"{\n\t\"mcpServers\": {\n\t\t\"secoda-workbench\": ",
				"{\"command\": \"/old/path/secoda-workbench\", \"args\": [\"serve\"]}",
				",\n\t\t\"remote\": {\"url\": \"https://example.com/mcp\"}\n\t},\n\t\"$schema\": \"x\"\n}",
			}},
			{".cursorignore", []string{
				"# mine\n.env\n",
				"# secoda-workbench:begin (managed by `secoda-workbench init`)\nold-line\n# secoda-workbench:end",
				"\nbuild/\n",
			}},
			gitignore,
		}
	default:
		return []fixture{
			{".codex/config.toml", []string{
				"# Codex, for this project\nmodel = \"o3\" # inline comment\napproval_policy = \"on-request\"\n\n" +
					"[mcp_servers.docs]\ncommand = \"npx\"\nargs = [\"-y\", \"docs-mcp\"]\n\n" +
					"[mcp_servers.docs.env]\nLOG = \"debug\"\n\n# profiles below\n[profiles.fast]\nmodel = \"gpt-5-mini\"\n\n" +
					"[[skills.config]]\npath = \"x\"\nenabled = false\n",
				"",
			}},
			{"AGENTS.md", []string{"# Agents\n\nBuild with `make`. No final newline", ""}},
			{".codexignore", []string{"*.pem", ""}},
			gitignore,
		}
	}
}

// mergedStatus is what init does to each file of mergedFixtures; the other skills and
// commands are created.
var mergedStatus = map[Agent]map[string]Status{
	Claude: {".mcp.json": Updated, "CLAUDE.md": Updated, ".claude/skills/" + SkillName + "/SKILL.md": Updated,
		".claude/commands/debug-pipeline.md": Updated, ".claude/settings.json": Updated, ".gitignore": Updated},
	Cursor: {".cursor/mcp.json": Updated, ".cursor/rules/secoda-workbench.mdc": Created,
		".cursor/skills/" + SkillName + "/SKILL.md": Created, ".cursorignore": Updated, ".gitignore": Updated},
	Codex: {".codex/config.toml": Updated, "AGENTS.md": Updated, ".agents/skills/" + SkillName + "/SKILL.md": Created,
		".codexignore": Updated, ".gitignore": Updated},
}

// TestGolden writes every file of every agent into an empty project and into one
// with the user's files, and compares each whole file with its golden copy
// (`go test ./agents -update` rewrites them). It checks the user's text survives byte
// for byte, the configs parse, only references to the environment are written, and a
// second run changes nothing.
func TestGolden(t *testing.T) {
	fixedHome(t)
	key := newKey(t)
	t.Setenv("SECODA_API_KEY", key)
	for _, scenario := range []string{"fresh", "merged"} {
		for _, a := range Agents {
			t.Run(scenario+"/"+string(a), func(t *testing.T) {
				dir := t.TempDir()
				var fixtures []fixture
				if scenario == "merged" {
					fixtures = mergedFixtures(a)
				}
				for _, f := range fixtures {
					writeFile(t, dir, f.path, f.content())
				}
				changes, err := Plan(t.Context(), dir, a, testOptions)
				if err != nil {
					t.Fatal(err)
				}
				if want := 4 + len(Skills) + commands(a); len(changes) != want {
					t.Fatalf("%d changes, want %d", len(changes), want)
				}
				var diffs strings.Builder
				for _, c := range changes {
					want := Created
					if st, ok := mergedStatus[a][c.Path]; ok && scenario == "merged" {
						want = st
					}
					if c.Status != want || c.Err != nil {
						t.Errorf("%s: %s (%v), want %s", c.Path, c.Status, c.Err, want)
					}
					if c.What == "" {
						t.Errorf("%s: no description", c.Path)
					}
					diffs.WriteString(Diff(c))
				}
				if scenario == "merged" {
					golden(t, filepath.Join("testdata", scenario, string(a), "dry-run.diff.golden"), []byte(diffs.String()))
				}
				if err := Apply(t.Context(), dir, changes); err != nil {
					t.Fatal(err)
				}
				for _, c := range changes {
					got := readFile(t, dir, c.Path)
					if !bytes.Equal(got, c.New) {
						t.Errorf("%s: Apply wrote other bytes than Plan planned", c.Path)
					}
					golden(t, goldenPath(scenario, a, c.Path), got)
					checkParses(t, c.Path, got)
					if bytes.Contains(got, []byte(key)) {
						t.Errorf("%s holds the API key", c.Path)
					}
				}
				for _, f := range fixtures {
					got := readFile(t, dir, f.path)
					assertKept(t, f.path, got, f.user())
				}
				checkServer(t, dir, a)
				if a == Claude {
					checkSettings(t, dir, fixtures)
				}
				assertIdempotent(t, dir, a, testOptions)
			})
		}
	}
}

// goldenPath names a written file's golden copy: its path flattened, without its
// leading dot, so that no golden .gitignore or .cursorignore acts on the repository.
func goldenPath(scenario string, a Agent, path string) string {
	name := strings.TrimPrefix(strings.ReplaceAll(path, "/", "_"), ".")
	return filepath.Join("testdata", scenario, string(a), name+".golden")
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v: run `go test ./agents -update` to write it", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale (`go test ./agents -update` rewrites it):\n%s", file, Diff(Change{Path: file, Old: want, New: got}))
	}
}

// assertKept checks that got is the user's parts, in order and byte for byte, with
// only init's edits between them: the first part starts the file, the last ends it.
func assertKept(t *testing.T, path string, got []byte, user []string) {
	t.Helper()
	s := string(got)
	first, last := user[0], user[len(user)-1]
	if !strings.HasPrefix(s, first) {
		t.Errorf("%s: the user's text before init's edit changed:\nwant prefix %q\ngot %q", path, first, s)
		return
	}
	rest := s[len(first):]
	if len(user) > 1 {
		if !strings.HasSuffix(rest, last) {
			t.Errorf("%s: the user's text after init's edit changed:\nwant suffix %q\ngot %q", path, last, s)
			return
		}
		rest = rest[:len(rest)-len(last)]
	}
	for _, part := range user[1:max(1, len(user)-1)] {
		i := strings.Index(rest, part)
		if i < 0 {
			t.Errorf("%s: the user's text %q is gone or out of order", path, part)
			return
		}
		rest = rest[i+len(part):]
	}
}

// checkParses checks each config parses, and the Markdown files keep their front matter.
func checkParses(t *testing.T, path string, b []byte) {
	t.Helper()
	switch {
	case strings.HasSuffix(path, ".json"):
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Errorf("%s is not a JSON object: %v", path, err)
		}
	case strings.HasSuffix(path, ".toml"):
		var doc map[string]any
		if err := toml.Unmarshal(b, &doc); err != nil {
			t.Errorf("%s does not parse as TOML: %v", path, err)
		}
	case strings.HasSuffix(path, "SKILL.md"):
		name := filepath.Base(filepath.Dir(path))
		if !bytes.HasPrefix(b, []byte("---\nname: "+name+"\ndescription: \"Use ")) {
			t.Errorf("%s lacks its front matter (name %s, a description saying when to use it): %.80q", path, name, b)
		}
	case strings.HasPrefix(path, ".claude/commands/"):
		if !bytes.HasPrefix(b, []byte("---\ndescription: \"")) || !bytes.Contains(b, []byte("$ARGUMENTS")) {
			t.Errorf("%s lacks its front matter or $ARGUMENTS: %.80q", path, b)
		}
	case strings.HasPrefix(path, ".cursor/commands/"):
		if bytes.Contains(b, []byte("\n---\n")) || !bytes.Contains(b, []byte("\n# ")) {
			t.Errorf("%s: a Cursor command is plain Markdown with a heading: %.80q", path, b)
		}
	case strings.HasSuffix(path, ".mdc"):
		front, _, ok := strings.Cut(strings.TrimPrefix(string(b), "---\n"), "\n---\n")
		fields := strings.Split(front, "\n")
		if !bytes.HasPrefix(b, []byte("---\n")) || !ok || !slices.Contains(fields, "alwaysApply: true") ||
			!slices.ContainsFunc(fields, func(f string) bool { return strings.HasPrefix(f, "description: ") }) {
			t.Errorf("%s: its front matter lacks description or alwaysApply: true:\n%s", path, front)
		}
	}
}

// server is an MCP server entry as the JSON configs hold it.
type server struct {
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
}

// checkServer checks the agent's MCP entry: the command, `serve`, and the environment
// passed by reference only.
func checkServer(t *testing.T, dir string, a Agent) {
	t.Helper()
	switch a {
	case Claude, Cursor:
		path, ref := ".mcp.json", "${SECODA_API_URL:-}"
		if a == Cursor {
			path, ref = ".cursor/mcp.json", "${env:SECODA_API_URL}"
		}
		var doc struct {
			MCPServers map[string]server `json:"mcpServers"`
		}
		if err := json.Unmarshal(readFile(t, dir, path), &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		want := server{Command: testOptions.Command, Args: []string{"serve"}, Env: map[string]string{"SECODA_API_URL": ref}}
		if got := doc.MCPServers[ServerName]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the server is %+v, want %+v", path, got, want)
		}
	case Codex:
		var doc struct {
			MCPServers map[string]map[string]any `toml:"mcp_servers"`
		}
		if err := toml.Unmarshal(readFile(t, dir, ".codex/config.toml"), &doc); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"command": testOptions.Command, "args": []any{"serve"},
			"env_vars":            []any{"SECODA_API_URL", "SECODA_API_KEY"},
			"startup_timeout_sec": int64(20), "tool_timeout_sec": int64(600),
		}
		if got := doc.MCPServers[ServerName]; !reflect.DeepEqual(got, want) {
			t.Errorf("config.toml: the server is %#v, want %#v (names of variables only, no env values)", got, want)
		}
	}
}

// checkSettings checks Claude's permissions: the user's rules first, init's added
// once each.
func checkSettings(t *testing.T, dir string, fixtures []fixture) {
	t.Helper()
	type perms struct {
		Allow []string `json:"allow"`
		Deny  []string `json:"deny"`
	}
	var doc struct {
		Permissions perms `json:"permissions"`
	}
	if err := json.Unmarshal(readFile(t, dir, ".claude/settings.json"), &doc); err != nil {
		t.Fatal(err)
	}
	want := perms{
		Deny: []string{"Read(./.dlt/secrets.toml)", "Read(~/.config/secoda-workbench/insecure-credentials.toml)"},
	}
	for _, tool := range readOnlyTools() {
		want.Allow = append(want.Allow, "mcp__secoda-workbench__"+tool)
	}
	if len(fixtures) > 0 { // merged: the user had these, and one of init's deny rules
		want.Allow = append([]string{"Bash(npm run test:*)"}, want.Allow...)
		want.Deny = []string{"Read(./.env)", "Read(./.dlt/secrets.toml)", "Read(~/.config/secoda-workbench/insecure-credentials.toml)"}
	}
	if !reflect.DeepEqual(doc.Permissions, want) {
		t.Errorf("permissions are %+v,\nwant %+v", doc.Permissions, want)
	}
}

// assertIdempotent plans again: every file unchanged, and applying changes no byte.
func assertIdempotent(t *testing.T, dir string, a Agent, o Options) {
	t.Helper()
	before := filetree.Snapshot(t, dir)
	again, err := Plan(t.Context(), dir, a, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range again {
		if c.Status != Unchanged {
			t.Errorf("second run: %s is %s (%v), want unchanged\n%s", c.Path, c.Status, c.Err, Diff(c))
		}
	}
	if err := Apply(t.Context(), dir, again); err != nil {
		t.Fatal(err)
	}
	if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Error("a second run changed the files")
	}
}

func TestMergedJSONKeepsOtherKeys(t *testing.T) {
	fixedHome(t)
	for _, a := range []Agent{Claude, Cursor} {
		dir := t.TempDir()
		f := mergedFixtures(a)[0]
		writeFile(t, dir, f.path, f.content())
		changes, err := Plan(t.Context(), dir, a, testOptions)
		if err != nil {
			t.Fatal(err)
		}
		var before, after map[string]any
		if err := json.Unmarshal(changes[0].Old, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(changes[0].New, &after); err != nil {
			t.Fatal(err)
		}
		delete(before["mcpServers"].(map[string]any), ServerName)
		delete(after["mcpServers"].(map[string]any), ServerName)
		if !reflect.DeepEqual(before, after) {
			t.Errorf("%s: besides init's server the document changed:\n%v\n%v", f.path, before, after)
		}
	}
}

func TestMalformedIsRefusedNotOverwritten(t *testing.T) {
	fixedHome(t)
	tests := []struct {
		name  string
		agent Agent
		path  string
		text  string
		why   string // in the error, when set
	}{
		{"broken .mcp.json", Claude, ".mcp.json", "{\n  \"mcpServers\": {\n    \"docs\": {\"command\": \"npx\",}\n", "line 3, column 31: expected a key"},
		{".mcp.json an array", Claude, ".mcp.json", "[{\"mcpServers\": {}}]\n", ""},
		{"mcpServers a string", Claude, ".mcp.json", "{\"mcpServers\": \"none\"}\n", ""},
		{"mcpServers null", Claude, ".mcp.json", "{\"mcpServers\": null}\n", ""},
		{"broken Cursor mcp.json", Cursor, ".cursor/mcp.json", "{\"mcpServers\": {}} trailing", ""},
		{"broken settings.json", Claude, ".claude/settings.json", "{\"permissions\": {\"allow\": [}}", ""},
		{"settings.json a number", Claude, ".claude/settings.json", "42\n", ""},
		{"permissions a list", Claude, ".claude/settings.json", "{\"permissions\": []}\n", ""},
		{"deny not a list", Claude, ".claude/settings.json", "{\"permissions\": {\"deny\": \"Read(./.env)\"}}\n", ""},
		{"broken config.toml", Codex, ".codex/config.toml", "[mcp_servers.docs\ncommand = \"npx\"\n", ""},
		{"config.toml with a duplicate key", Codex, ".codex/config.toml", "model = \"a\"\nmodel = \"b\"\n", "line 2, column 1: key model is already defined"},
		// What encoding/json takes silently, and readers may read otherwise.
		{"invalid UTF-8 in a string", Claude, ".mcp.json", "{\"mcpServers\": {\"docs\": {\"command\": \"np\xe9x\"}}}\n",
			"line 1, column 40: invalid UTF-8"},
		{"invalid UTF-8 in a key", Cursor, ".cursor/mcp.json", "{\n  \"mcpServers\": {\n    \"d\xffocs\": {}\n  }\n}\n", "line 3, column 7: invalid UTF-8"},
		{"a duplicate top-level key", Claude, ".mcp.json", "{\n  \"mcpServers\": {},\n  \"mcpServers\": {\"docs\": {\"command\": \"npx\"}}\n}\n",
			`line 3, column 3: the key "mcpServers" appears twice in one object`},
		{"a duplicate server", Claude, ".mcp.json", "{\"mcpServers\": {\n  \"docs\": {\"command\": \"a\"},\n  \"docs\": {\"command\": \"b\"}\n}}\n",
			`line 3, column 3: the key "docs" appears twice`},
		{"our own server twice", Cursor, ".cursor/mcp.json", "{\"mcpServers\": {\"secoda-workbench\": {}, \"secoda-workbench\": {\"command\": \"evil\"}}}\n",
			`the key "secoda-workbench" appears twice`},
		{"a duplicate deeper down", Claude, ".claude/settings.json", "{\"permissions\": {\"deny\": [], \"allow\": [], \"deny\": [\"Read(./.env)\"]}}\n",
			`line 1, column 43: the key "deny" appears twice`},
		{"a duplicate spelled with an escape", Claude, ".mcp.json", "{\"mcpServers\": {}, \"mcp\\u0053ervers\": {}}\n", `the key "mcpServers" appears twice`},
		{"half a surrogate pair", Claude, ".mcp.json", "{\"mcpServers\": {\"docs\": {\"command\": \"\\ud800\"}}}\n",
			"line 1, column 38: a \\u escape stands for half a UTF-16 surrogate pair"},
		{"invalid UTF-8 in config.toml", Codex, ".codex/config.toml", "model = \"o3\"\n[mcp_servers.docs]\ncommand = \"np\xe9x\"\n",
			"line 3, column 14: invalid UTF-8"},
		{"invalid UTF-8 in a config.toml comment", Codex, ".codex/config.toml", "# caf\xe9\nmodel = \"o3\"\n", "line 1, column 6: invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, tt.path, tt.text)
			changes, err := Plan(t.Context(), dir, tt.agent, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			c := find(t, changes, tt.path)
			if c.Status != Refused || !errors.Is(c.Err, ErrMalformed) {
				t.Fatalf("%s: %s (%v), want refused as malformed", tt.path, c.Status, c.Err)
			}
			if tt.why != "" && (!strings.Contains(c.Err.Error(), tt.why) || !strings.Contains(c.Err.Error(), "run init again")) {
				t.Errorf("%s: %v, want where (%q) and what to do", tt.path, c.Err, tt.why)
			}
			if c.New != nil {
				t.Errorf("a refused change carries new content: %q", c.New)
			}
			for _, other := range changes {
				if other.Path != tt.path && other.Status == Refused {
					t.Errorf("%s refused too: %v", other.Path, other.Err)
				}
			}
			applyRefused(t, dir, changes)
			if got := string(readFile(t, dir, tt.path)); got != tt.text {
				t.Errorf("Apply changed the malformed file: %q", got)
			}
		})
	}
}

func TestEditedManagedFilesAreRefusedUnlessForced(t *testing.T) {
	fixedHome(t)
	skill := ".claude/skills/" + SkillName + "/SKILL.md"
	rule := ".cursor/rules/secoda-workbench.mdc"
	tests := []struct {
		name  string
		agent Agent
		path  string
		edit  func(init string) string // the user's change to what init wrote
	}{
		{"skill edited", Claude, skill, func(s string) string { return s + "\nMy own step.\n" }},
		{"skill rewritten without the mark", Claude, skill, func(string) string {
			return "---\nname: " + SkillName + "\ndescription: mine\n---\n\nMy own skill.\n"
		}},
		{"skill's mark deleted", Claude, skill, func(s string) string { return fileMarkRe.ReplaceAllString(s, "") }},
		{"Codex skill edited", Codex, ".agents/skills/" + SkillName + "/SKILL.md", func(s string) string {
			return strings.Replace(s, "in this order", "in any order", 1)
		}},
		{"Cursor rule edited", Cursor, rule, func(s string) string { return strings.Replace(s, "alwaysApply: true", "alwaysApply: false", 1) }},
		{"Cursor rule written by the user", Cursor, rule, func(string) string { return "---\nalwaysApply: true\n---\nMine.\n" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			apply(t, dir, tt.agent, testOptions)
			edited := tt.edit(string(readFile(t, dir, tt.path)))
			writeFile(t, dir, tt.path, edited)

			changes, err := Plan(t.Context(), dir, tt.agent, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			if c := find(t, changes, tt.path); c.Status != Refused || !errors.Is(c.Err, ErrEdited) {
				t.Fatalf("%s: %s (%v), want refused as edited", tt.path, c.Status, c.Err)
			}
			applyRefused(t, dir, changes)
			if got := string(readFile(t, dir, tt.path)); got != edited {
				t.Fatal("Apply replaced the user's edit")
			}

			forced := testOptions
			forced.Force = true
			changes = apply(t, dir, tt.agent, forced)
			if c := find(t, changes, tt.path); c.Status != Updated {
				t.Fatalf("with force: %s %s (%v), want updated", tt.path, c.Status, c.Err)
			}
			golden(t, goldenPath("fresh", tt.agent, tt.path), readFile(t, dir, tt.path))
			assertIdempotent(t, dir, tt.agent, testOptions)
		})
	}
}

func TestEditedMarkdownBlock(t *testing.T) {
	fixedHome(t)
	for _, a := range []Agent{Claude, Codex} {
		path := "CLAUDE.md"
		if a == Codex {
			path = "AGENTS.md"
		}
		t.Run(path, func(t *testing.T) {
			dir := t.TempDir()
			before, after := "# Mine\n\nBefore.\n\n", "\n\n## Also mine\n\nAfter.\n"
			block := staleBlock(rules)
			writeFile(t, dir, path, before+block+after)
			if c := find(t, apply(t, dir, a, testOptions), path); c.Status != Unchanged {
				t.Fatalf("an up-to-date block: %s", c.Status)
			}

			edited := strings.Replace(block, "Never read", "Please never read", 1)
			writeFile(t, dir, path, before+edited+after)
			changes, err := Plan(t.Context(), dir, a, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			if c := find(t, changes, path); c.Status != Refused || !errors.Is(c.Err, ErrEdited) {
				t.Fatalf("an edited block: %s (%v), want refused", c.Status, c.Err)
			}
			applyRefused(t, dir, changes)
			if got := string(readFile(t, dir, path)); got != before+edited+after {
				t.Fatal("Apply replaced the edited block")
			}

			forced := testOptions
			forced.Force = true
			if c := find(t, apply(t, dir, a, forced), path); c.Status != Updated {
				t.Fatalf("with force: %s (%v)", c.Status, c.Err)
			}
			if got := string(readFile(t, dir, path)); got != before+block+after {
				t.Errorf("with force: want the user's text around init's block, got\n%s", got)
			}
		})
	}
}

func TestCodexUserTable(t *testing.T) {
	fixedHome(t)
	const (
		head  = "# mine\nmodel = \"o3\"\n\n"
		table = "[mcp_servers.secoda-workbench]\ncommand = \"secoda-workbench\"\nargs = [\"serve\", \"--verbose\"]\n\n"
		tail  = "# the docs server\n[mcp_servers.docs]\ncommand = \"npx\"\n\n[profiles.fast]\nmodel = \"gpt-5-mini\"\n"
	)
	dir := t.TempDir()
	writeFile(t, dir, ".codex/config.toml", head+table+tail)
	changes, err := Plan(t.Context(), dir, Codex, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	c := find(t, changes, ".codex/config.toml")
	if c.Status != Refused || !errors.Is(c.Err, ErrEdited) || !strings.Contains(c.Err.Error(), "--force") {
		t.Fatalf("the user's own table: %s (%v), want refused naming --force", c.Status, c.Err)
	}
	applyRefused(t, dir, changes)
	if got := string(readFile(t, dir, ".codex/config.toml")); got != head+table+tail {
		t.Fatalf("Apply changed it: %q", got)
	}

	forced := testOptions
	forced.Force = true
	apply(t, dir, Codex, forced)
	got := string(readFile(t, dir, ".codex/config.toml"))
	block := string(must(codexServerFresh()))
	if want := head + tail + "\n" + block; got != want {
		t.Errorf("with force: want the user's tables and comments and init's block only:\n%s", Diff(Change{Path: "config.toml", Old: []byte(want), New: []byte(got)}))
	}
	checkParses(t, "config.toml", []byte(got))
	checkServer(t, dir, Codex)
	assertIdempotent(t, dir, Codex, testOptions)

	// Init's block in the middle of the file is replaced where it is.
	stale := strings.Replace(block, testOptions.Command, "/old/secoda-workbench", 1)
	writeFile(t, dir, ".codex/config.toml", head+stale+"\n"+tail)
	c = find(t, apply(t, dir, Codex, testOptions), ".codex/config.toml")
	if c.Status != Updated {
		t.Fatalf("a stale block: %s (%v)", c.Status, c.Err)
	}
	if got := string(readFile(t, dir, ".codex/config.toml")); got != head+block+"\n"+tail {
		t.Errorf("a stale block in the middle:\n%s", got)
	}
}

// codexServerFresh is init's Codex block in a new file.
func codexServerFresh() ([]byte, error) { return testOptions.codexServer()(nil, false) }

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestIgnoreBlockReplacedInPlace(t *testing.T) {
	dir := t.TempDir()
	const before, after = "a\n", "# secoda-workbench:end is not mine\nb"
	writeFile(t, dir, ".codexignore", before+ignBegin+"\nold\n"+ignEnd+"\n"+after)
	apply(t, dir, Codex, testOptions)
	want := before + ignBegin + "\n.dlt/secrets.toml\n" + ignEnd + "\n" + after
	if got := string(readFile(t, dir, ".codexignore")); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name          string
		project, home []string // files and folders (ending in /) to make
		want          []Agent
	}{
		{"nothing", nil, nil, nil},
		{"claude from .mcp.json", []string{".mcp.json"}, nil, []Agent{Claude}},
		{"claude from CLAUDE.md", []string{"CLAUDE.md"}, nil, []Agent{Claude}},
		{"cursor from .cursor", []string{".cursor/"}, nil, []Agent{Cursor}},
		{"codex from .codex", []string{".codex/"}, nil, []Agent{Codex}},
		{"codex from .agents", []string{".agents/"}, nil, []Agent{Codex}},
		{"several", []string{".mcp.json", ".codex/", ".cursor/"}, nil, []Agent{Claude, Cursor, Codex}},
		{"the home folder when the project shows none", nil, []string{".codex/"}, []Agent{Codex}},
		{"the home folder's several", nil, []string{".claude.json", ".cursor/"}, []Agent{Claude, Cursor}},
		{"the project before the home folder", []string{".cursor/"}, []string{".claude/", ".codex/"}, []Agent{Cursor}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project, home := t.TempDir(), t.TempDir()
			for _, p := range tt.project {
				makePath(t, project, p)
			}
			for _, p := range tt.home {
				makePath(t, home, p)
			}
			if got := Detect(project, home); !slices.Equal(got, tt.want) {
				t.Errorf("Detect = %v, want %v", got, tt.want)
			}
		})
	}
	if got := Detect(t.TempDir(), ""); got != nil {
		t.Errorf("no home: %v", got)
	}
}

func TestParseAgent(t *testing.T) {
	for in, want := range map[string]Agent{"claude": Claude, " Cursor\n": Cursor, "CODEX": Codex} {
		if got, err := ParseAgent(in); err != nil || got != want {
			t.Errorf("ParseAgent(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "vim", "claude-code"} {
		if _, err := ParseAgent(in); err == nil || !strings.Contains(err.Error(), "claude, cursor or codex") {
			t.Errorf("ParseAgent(%q): %v", in, err)
		}
	}
}

func TestNextStep(t *testing.T) {
	for a, want := range map[Agent]string{Claude: "approve the project MCP server", Cursor: "Settings → MCP", Codex: "Trust this project"} {
		if s := NextStep(a); !strings.Contains(s, want) || !strings.Contains(s, "secoda-workbench secrets set") {
			t.Errorf("%s: %q", a, s)
		}
	}
}

// applyRefused applies changes some of which init refused: Apply writes nothing, not
// even the files it could have written.
func applyRefused(t *testing.T, dir string, changes []Change) {
	t.Helper()
	before := filetree.Snapshot(t, dir)
	if err := Apply(t.Context(), dir, changes); err == nil || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("Apply of refused changes: %v", err)
	}
	if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("Apply wrote although a change was refused: %v", after)
	}
}

// apply plans and applies, failing on any refusal.
func apply(t *testing.T, dir string, a Agent, o Options) []Change {
	t.Helper()
	changes, err := Plan(t.Context(), dir, a, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.Status == Refused {
			t.Fatalf("%s refused: %v", c.Path, c.Err)
		}
	}
	if err := Apply(t.Context(), dir, changes); err != nil {
		t.Fatal(err)
	}
	return changes
}

func find(t *testing.T, changes []Change, path string) Change {
	t.Helper()
	for _, c := range changes {
		if c.Path == path {
			return c
		}
	}
	t.Fatalf("no change for %s", path)
	return Change{}
}

func writeFile(t *testing.T, dir, path, text string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, dir, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// makePath makes a file, or a folder when the path ends in /.
func makePath(t *testing.T, dir, p string) {
	t.Helper()
	if strings.HasSuffix(p, "/") {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
	writeFile(t, dir, p, "{}\n")
}

// TestJSONShapes merges the server into JSON files of other shapes: each stays valid,
// keeps the file's indentation and the space around it, and a second merge changes
// nothing.
func TestJSONShapes(t *testing.T) {
	entry := func(indent, unit string) string {
		l := func(depth int, s string) string { return indent + strings.Repeat(unit, depth) + s + "\n" }
		return l(0, `"secoda-workbench": {`) + l(1, `"command": "/opt/bin/secoda-workbench",`) + l(1, `"args": [`) +
			l(2, `"serve"`) + l(1, `],`) + l(1, `"env": {`) + l(2, `"SECODA_API_URL": "${SECODA_API_URL:-}"`) + l(1, `}`) +
			indent + "}"
	}
	tests := []struct {
		name, in, want string // want "" checks validity and idempotence only
	}{
		{"an empty mcpServers, indented by 4", "{\n    \"mcpServers\": {}\n}\n",
			"{\n    \"mcpServers\": {\n" + entry("        ", "    ") + "\n    }\n}\n"},
		{"no mcpServers, indented by a tab", "{\n\t\"a\": {\n\t\t\"b\": 1\n\t}\n}",
			"{\n\t\"a\": {\n\t\t\"b\": 1\n\t},\n\t\"mcpServers\": {\n" + entry("\t\t", "\t") + "\n\t}\n}"},
		{"space around the document", "\n\n{\n  \"x\": 1\n}\n\n",
			"\n\n{\n  \"x\": 1,\n  \"mcpServers\": {\n" + entry("    ", "  ") + "\n  }\n}\n\n"},
		{"an empty file", "", "{\n  \"mcpServers\": {\n" + entry("    ", "  ") + "\n  }\n}\n"},
		{"on one line", `{"a":1,"mcpServers":{"x":{"command":"y"}}}`, ""},
		{"an empty object on one line", "{}", ""},
	}
	merge := testOptions.jsonServer(claudeEnv)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := merge([]byte(tt.in), false)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			var doc struct {
				MCPServers map[string]server `json:"mcpServers"`
			}
			if err := json.Unmarshal(got, &doc); err != nil || doc.MCPServers[ServerName].Command != testOptions.Command {
				t.Errorf("%v: %s", err, got)
			}
			if again, err := merge(got, false); err != nil || !bytes.Equal(again, got) {
				t.Errorf("a second merge: %v\n%s", err, again)
			}
		})
	}
}

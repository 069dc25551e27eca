package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/secoda-workbench/secoda-workbench/agents"
	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// initProject runs the test in a fresh project folder, with a home folder that shows
// no agent and a PATH without secoda-workbench on it. It returns the project, the
// home folder and an app whose environment holds an API key made for this run.
func initProject(t *testing.T) (dir, home string, ta *testApp) {
	t.Helper()
	dir = inProject(t)
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PATH", t.TempDir())
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	key := "sk_test_" + hex.EncodeToString(b)
	t.Setenv("SECODA_API_KEY", key)
	ta = &testApp{
		store:    &secretstest.MemStore{},
		env:      map[string]string{"SECODA_API_KEY": key, "SECODA_API_URL": "https://api.secoda.co/api/v1"},
		insecure: filepath.Join(home, ".config", "secoda-workbench", "insecure-credentials.toml"),
	}
	return dir, home, ta
}

// testBinary is this test binary's path, which init writes as the server's command
// since it is not the secoda-workbench on PATH.
func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		t.Fatal(err)
	}
	return exe
}

// initFiles are the files init writes for each agent, in the order it lists them.
var initFiles = map[agents.Agent][]string{
	agents.Claude: {".mcp.json", "CLAUDE.md", ".claude/skills/secoda-pipeline/SKILL.md", ".claude/settings.json", ".gitignore"},
	agents.Cursor: {".cursor/mcp.json", ".cursor/rules/secoda-workbench.mdc", ".cursor/skills/secoda-pipeline/SKILL.md", ".cursorignore", ".gitignore"},
	agents.Codex:  {".codex/config.toml", "AGENTS.md", ".agents/skills/secoda-pipeline/SKILL.md", ".codexignore", ".gitignore"},
}

func TestInitWiresEachAgent(t *testing.T) {
	for _, a := range agents.Agents {
		t.Run(string(a), func(t *testing.T) {
			dir, _, ta := initProject(t)
			exe := testBinary(t)
			code, out, errOut := ta.run(context.Background(), "init", "--agent", string(a))
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if !strings.Contains(out, "Wired "+string(a)+" to secoda-workbench in ") {
				t.Errorf("no heading:\n%s", out)
			}
			for _, path := range initFiles[a] {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(path) + ` +created \(.+\)$`).MatchString(out) {
					t.Errorf("the output does not list %s as created:\n%s", path, out)
				}
				if _, err := os.Stat(filepath.Join(dir, path)); err != nil {
					t.Error(err)
				}
			}
			if !strings.Contains(out, "Next: "+agents.NextStep(a)+"\n") {
				t.Errorf("no next step:\n%s", out)
			}
			if !strings.Contains(out, "starts the server by its absolute path, "+exe+", since this binary is not the secoda-workbench on your PATH") {
				t.Errorf("the output does not say the server starts by its absolute path %s:\n%s", exe, out)
			}
			if got := serverEntry(t, dir, a); got["command"] != exe {
				t.Errorf("the server's command is %v, want %s", got["command"], exe)
			}
			checkEnvByReference(t, dir, a)
			checkNoKey(t, dir, ta.env["SECODA_API_KEY"])
			if a == agents.Claude {
				settings := string(readProjectFile(t, dir, ".claude/settings.json"))
				if !strings.Contains(settings, `"Read(~/.config/secoda-workbench/insecure-credentials.toml)"`) ||
					!strings.Contains(settings, `"Read(./.dlt/secrets.toml)"`) {
					t.Errorf("settings.json does not deny the secrets files:\n%s", settings)
				}
			}

			before := filetree.Snapshot(t, dir)
			code, out, errOut = ta.run(context.Background(), "init", "--agent", string(a))
			if code != exitOK {
				t.Fatalf("second run: exit %d\n%s\n%s", code, out, errOut)
			}
			for _, path := range initFiles[a] {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(path) + ` +unchanged \(`).MatchString(out) {
					t.Errorf("second run: %s is not unchanged:\n%s", path, out)
				}
			}
			if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
				t.Error("a second run changed the files")
			}
		})
	}
}

// serverEntry is the agent's MCP entry for secoda-workbench.
func serverEntry(t *testing.T, dir string, a agents.Agent) map[string]any {
	t.Helper()
	var doc map[string]map[string]map[string]any
	switch a {
	case agents.Codex:
		var tdoc struct {
			Servers map[string]map[string]any `toml:"mcp_servers"`
		}
		if err := toml.Unmarshal(readProjectFile(t, dir, ".codex/config.toml"), &tdoc); err != nil {
			t.Fatal(err)
		}
		return tdoc.Servers[agents.ServerName]
	case agents.Cursor:
		if err := json.Unmarshal(readProjectFile(t, dir, ".cursor/mcp.json"), &doc); err != nil {
			t.Fatal(err)
		}
	default:
		if err := json.Unmarshal(readProjectFile(t, dir, ".mcp.json"), &doc); err != nil {
			t.Fatal(err)
		}
	}
	return doc["mcpServers"][agents.ServerName]
}

// checkEnvByReference checks that the MCP entry passes the environment by reference
// only, in each client's syntax.
func checkEnvByReference(t *testing.T, dir string, a agents.Agent) {
	t.Helper()
	entry := serverEntry(t, dir, a)
	switch a {
	case agents.Codex:
		if _, ok := entry["env"]; ok {
			t.Errorf("config.toml has an env table: %v", entry["env"])
		}
		if want := []any{"SECODA_API_URL", "SECODA_API_KEY"}; !reflect.DeepEqual(entry["env_vars"], want) {
			t.Errorf("env_vars = %v, want %v", entry["env_vars"], want)
		}
	default:
		want := map[string]any{"SECODA_API_URL": "${SECODA_API_URL:-}"}
		if a == agents.Cursor {
			want = map[string]any{"SECODA_API_URL": "${env:SECODA_API_URL}"}
		}
		if !reflect.DeepEqual(entry["env"], want) {
			t.Errorf("env = %v, want only %v", entry["env"], want)
		}
	}
}

// checkNoKey checks that no file in the project holds the key or the API's address
// from the environment (only references to them).
func checkNoKey(t *testing.T, dir, key string) {
	t.Helper()
	for path, content := range filetree.Snapshot(t, dir) {
		if strings.Contains(content, key) {
			t.Errorf("%s holds the API key", path)
		}
		if strings.Contains(content, "https://api.secoda.co") {
			t.Errorf("%s holds the API URL's value", path)
		}
	}
}

func TestInitCommandOnPath(t *testing.T) {
	dir, _, ta := initProject(t)
	bin := t.TempDir()
	if err := os.Symlink(testBinary(t), filepath.Join(bin, "secoda-workbench")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	code, out, errOut := ta.run(context.Background(), "init", "--agent", "claude")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if got := serverEntry(t, dir, agents.Claude)["command"]; got != "secoda-workbench" {
		t.Errorf("the command is %v, want secoda-workbench: this binary is the one on PATH", got)
	}
	if strings.Contains(out, "absolute path") {
		t.Errorf("the output speaks of an absolute path:\n%s", out)
	}
}

func TestInitDryRun(t *testing.T) {
	dir, _, ta := initProject(t)
	const mine = "node_modules/\n*.log"
	if err := os.WriteFile(".gitignore", []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	before := filetree.Snapshot(t, dir)
	code, out, errOut := ta.run(context.Background(), "init", "--agent", "claude", "--dry-run")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"--- /dev/null\n+++ b/.mcp.json\n@@ -0,0 +1,",
		"\n+    \"secoda-workbench\": {\n+      \"command\": " + jsonString(testBinary(t)) + ",\n",
		"--- /dev/null\n+++ b/CLAUDE.md\n@@ -0,0 +1,",
		"--- /dev/null\n+++ b/.claude/settings.json\n",
		"\n+      \"Read(./.dlt/secrets.toml)\",\n",
		"--- a/.gitignore\n+++ b/.gitignore\n@@ -1,2 +1,9 @@\n node_modules/\n-*.log\n\\ No newline at end of file\n+*.log\n+# secoda-workbench:begin",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the diff lacks %q:\n%s", want, out)
		}
	}
	for _, path := range initFiles[agents.Claude] {
		if !strings.Contains(errOut, "would leave "+path+" to be ") {
			t.Errorf("stderr does not say what happens to %s:\n%s", path, errOut)
		}
	}
	if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("--dry-run wrote: %v", after)
	}

	// With a file init would refuse: the diff of the rest, and exit 1.
	if err := os.WriteFile(".mcp.json", []byte("{\"mcpServers\": "), 0o644); err != nil {
		t.Fatal(err)
	}
	before = filetree.Snapshot(t, dir)
	code, out, errOut = ta.run(context.Background(), "init", "--agent", "claude", "--dry-run")
	if code != exitFailure || !strings.Contains(errOut, "init would refuse:\n  .mcp.json: does not parse as JSON") ||
		!strings.Contains(errOut, "would leave .mcp.json as it is (refused: ") {
		t.Fatalf("a refusal: exit %d\n%s", code, errOut)
	}
	if strings.Contains(out, "b/.mcp.json") || !strings.Contains(out, "+++ b/CLAUDE.md") {
		t.Errorf("the diff should show the other files only:\n%s", out)
	}
	if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("--dry-run wrote: %v", after)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestInitRefusesMalformed(t *testing.T) {
	tests := []struct {
		agent      agents.Agent
		path, text string
	}{
		{agents.Claude, ".mcp.json", "{\"mcpServers\": {\"docs\": }\n"},
		{agents.Claude, ".mcp.json", "[]\n"},
		{agents.Claude, ".mcp.json", "{\"mcpServers\": \"docs\"}\n"},
		{agents.Claude, ".claude/settings.json", "{\"permissions\": \n"},
		{agents.Cursor, ".cursor/mcp.json", "{,}"},
		{agents.Codex, ".codex/config.toml", "[mcp_servers\n"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			dir, _, ta := initProject(t)
			if err := os.MkdirAll(filepath.Dir(tt.path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tt.path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			before := filetree.Snapshot(t, dir)
			code, out, errOut := ta.run(context.Background(), "init", "--agent", string(tt.agent))
			if code != exitFailure {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if !strings.Contains(errOut, "nothing was written; init refuses:\n  "+tt.path+": ") || !strings.Contains(errOut, "does not parse") {
				t.Errorf("stderr does not name the file and the fault:\n%s", errOut)
			}
			if strings.Contains(errOut, "--force") {
				t.Errorf("stderr suggests --force, which does not mend a malformed file:\n%s", errOut)
			}
			if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
				t.Errorf("init wrote although it refused: %v", after)
			}
		})
	}
}

func TestInitForce(t *testing.T) {
	dir, _, ta := initProject(t)
	ctx := context.Background()
	if code, out, errOut := ta.run(ctx, "init", "--agent", "claude"); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	const skill = ".claude/skills/secoda-pipeline/SKILL.md"
	original := readProjectFile(t, dir, skill)
	edited := string(original) + "\nMy own step.\n"
	writeProjectFile(t, dir, skill, edited)
	claudeMD := readProjectFile(t, dir, "CLAUDE.md")
	withMine := "# Mine\n\n" + strings.Replace(string(claudeMD), "Never read", "Do not read", 1) + "\nAfter.\n"
	writeProjectFile(t, dir, "CLAUDE.md", withMine)

	code, _, errOut := ta.run(ctx, "init", "--agent", "claude")
	if code != exitFailure || !strings.Contains(errOut, skill+": edited by hand") || !strings.Contains(errOut, "CLAUDE.md: edited by hand") ||
		!strings.Contains(errOut, "secoda-workbench init --agent claude --force") {
		t.Fatalf("edited files: exit %d\n%s", code, errOut)
	}
	if string(readProjectFile(t, dir, skill)) != edited || string(readProjectFile(t, dir, "CLAUDE.md")) != withMine {
		t.Fatal("init replaced the user's edits without --force")
	}

	code, out, errOut := ta.run(ctx, "init", "--agent", "claude", "--force")
	if code != exitOK || !regexp.MustCompile(`(?m)^  `+regexp.QuoteMeta(skill)+` +updated`).MatchString(out) {
		t.Fatalf("--force: exit %d\n%s\n%s", code, out, errOut)
	}
	if string(readProjectFile(t, dir, skill)) != string(original) {
		t.Error("--force did not restore the skill")
	}
	if got := string(readProjectFile(t, dir, "CLAUDE.md")); got != "# Mine\n\n"+string(claudeMD)+"\nAfter.\n" {
		t.Errorf("--force: CLAUDE.md should be the user's text around init's block:\n%s", got)
	}
}

func TestInitRefusesLinkOutside(t *testing.T) {
	dir, _, ta := initProject(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, ".claude")); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := ta.run(context.Background(), "init", "--agent", "claude")
	if code != exitFailure || !strings.Contains(errOut, "\n  .claude/settings.json: the symbolic link .claude leads to "+outside+", outside the project folder ") ||
		!strings.Contains(errOut, "replace the link with a regular folder") ||
		!strings.Contains(errOut, "Fix those files and run init again.") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("init wrote outside the project: %v", entries)
	}
	if files := filetree.Snapshot(t, dir); len(files) != 1 {
		t.Errorf("init wrote in the project although it refused: %v", files)
	}
}

func TestInitChoosesTheAgent(t *testing.T) {
	tests := []struct {
		name    string
		project []string // files and folders (ending in /) in the project
		home    []string // ... and in the home folder
		args    []string
		code    int
		agent   agents.Agent // the one wired
		stderr  string
	}{
		{"claude from .mcp.json", []string{".mcp.json"}, nil, nil, exitOK, agents.Claude, "Found signs of claude; wiring it (choose with --agent)."},
		{"cursor from .cursor", []string{".cursor/"}, nil, nil, exitOK, agents.Cursor, "Found signs of cursor; wiring it"},
		{"codex from .codex", []string{".codex/"}, nil, nil, exitOK, agents.Codex, "Found signs of codex; wiring it"},
		{"codex from the home folder", nil, []string{".codex/"}, nil, exitOK, agents.Codex, "Found signs of codex; wiring it"},
		{"the flag over the signs", []string{".cursor/"}, nil, []string{"--agent", "codex"}, exitOK, agents.Codex, ""},
		{"several", []string{".mcp.json", ".codex/"}, nil, nil, exitUsage, "",
			"this project shows several agents ([claude codex]): choose one with --agent claude, cursor or codex"},
		{"none", nil, nil, nil, exitUsage, "", "this project shows no agent: choose one with --agent"},
		{"an unknown agent", nil, nil, []string{"--agent", "vim"}, exitUsage, "", `unknown agent "vim": use claude, cursor or codex`},
		{"an argument", nil, nil, []string{"claude"}, exitUsage, "", "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, home, ta := initProject(t)
			for _, p := range tt.project {
				makeProjectPath(t, dir, p)
			}
			for _, p := range tt.home {
				makeProjectPath(t, home, p)
			}
			before := filetree.Snapshot(t, dir)
			code, out, errOut := ta.run(context.Background(), append([]string{"init"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d, want %d; stderr lacks %q:\n%s\n%s", code, tt.code, tt.stderr, out, errOut)
			}
			if tt.code != exitOK {
				if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
					t.Errorf("init wrote on a usage error: %v", after)
				}
				return
			}
			if !strings.Contains(out, "Wired "+string(tt.agent)+" to secoda-workbench") {
				t.Errorf("wired another agent:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(dir, initFiles[tt.agent][0])); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestInitAsksOnATerminal(t *testing.T) {
	dir, _, _ := initProject(t)
	makeProjectPath(t, dir, ".mcp.json")
	makeProjectPath(t, dir, ".cursor/")
	out, errOut := &syncBuffer{}, &syncBuffer{}
	a := &app{
		io:      &ioStreams{In: strings.NewReader("cursor\n"), Out: out, ErrOut: errOut, InTTY: true},
		getenv:  func(string) string { return "" },
		keyring: secrets.NewKeyring(&secretstest.MemStore{}, time.Second),
	}
	if code := run(context.Background(), []string{"init"}, a); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut.String(), "Which coding agent? [claude/cursor/codex]: ") || !strings.Contains(out.String(), "Wired cursor") {
		t.Errorf("it did not ask, or did not take the answer:\n%s\n%s", out, errOut)
	}
}

func readProjectFile(t *testing.T, dir, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeProjectFile(t *testing.T, dir, path, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(path)), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeProjectPath makes a file, or a folder when the path ends in /.
func makeProjectPath(t *testing.T, dir, p string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(p, "/") {
		if err := os.MkdirAll(full, 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(full, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

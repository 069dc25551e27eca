package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/agents"
	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// skillTexts are every skill and entry command init writes, by where it writes them.
func skillTexts() map[string]string {
	out := map[string]string{}
	for _, a := range agents.Agents {
		for _, s := range agents.Skills {
			out[agents.SkillPath(a, s.Name)] = s.Body
			if p := agents.CommandPath(a, s.Name); p != "" {
				out[p] = agents.CommandFile(a, s)
			}
		}
	}
	return out
}

// commandLines are the secoda-workbench command lines a text shows: inline spans and
// the lines of shell blocks that start with the program's name.
func commandLines(text string) []string {
	var out []string
	for _, c := range agents.CodeIn(text) {
		lines := []string{c.Text}
		if !c.Inline {
			lines = strings.Split(c.Text, "\n")
		}
		for _, l := range lines {
			l = strings.TrimPrefix(strings.TrimSpace(l), "$ ")
			if strings.HasPrefix(l, "secoda-workbench ") {
				out = append(out, l)
			}
		}
	}
	return out
}

// shellWords splits a command line as a shell does, for the quoting the skills use:
// single and double quotes, no escapes or expansions.
func shellWords(line string) ([]string, error) {
	var words []string
	var word strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, word.String())
				word.Reset()
				in = false
			}
		case strings.ContainsRune("|&;<>()$`\\*?", r):
			return nil, fmt.Errorf("%q is shell beyond a plain command line", string(r))
		default:
			word.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, errors.New("an unclosed quote")
	}
	if in {
		words = append(words, word.String())
	}
	return words, nil
}

// parseCommandLine checks a command line against the CLI's own command tree: the
// command exists, its flags exist and take what is given, its arguments fit.
func parseCommandLine(line string) error {
	words, err := shellWords(line)
	if err != nil {
		return err
	}
	a := &app{
		io:      &ioStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard},
		getenv:  func(string) string { return "" },
		keyring: secrets.NewKeyring(&secretstest.MemStore{}, time.Second),
	}
	root := newRootCmd(a)
	cmd, rest, err := root.Find(words[1:])
	if err != nil {
		return err
	}
	if cmd == root {
		return errors.New("names no command")
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	return cmd.ValidateArgs(cmd.Flags().Args())
}

func TestSkillCommandLinesParse(t *testing.T) {
	seen := 0
	for path, text := range skillTexts() {
		for _, line := range commandLines(text) {
			seen++
			if err := parseCommandLine(line); err != nil {
				t.Errorf("%s shows `%s`, which the CLI does not take: %v", path, line, err)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no skill shows a command line")
	}
	// The check itself: a renamed command, flag or a bad argument fails.
	for _, bad := range []string{
		"secoda-workbench trace --latest", "secoda-workbench secret status", "secoda-workbench secrets status --jsn",
		"secoda-workbench validate --check-connection=maybe", "secoda-workbench init claude", "secoda-workbench",
	} {
		if err := parseCommandLine(bad); err == nil {
			t.Errorf("`%s` parses", bad)
		}
	}
	if got := commandLines("Run `secoda-workbench trace --list`, or:\n```sh\n$ secoda-workbench query 'SELECT 1'\n```\n"); len(got) != 2 {
		t.Errorf("commandLines: %q", got)
	}
}

// skillSQL is every SQL block the skills show.
func skillSQL(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range agents.Skills {
		for i, c := range agents.CodeIn(s.Body) {
			if !c.Inline && strings.EqualFold(c.Lang, "sql") {
				out[fmt.Sprintf("%s, block %d", s.Name, i+1)] = c.Text
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no skill shows SQL")
	}
	return out
}

// TestSkillSQLRunsOnTheDemoDataset loads the simulator's small workspace and runs
// each SQL block of the skills through the destination's read-only Query.
func TestSkillSQLRunsOnTheDemoDataset(t *testing.T) {
	inProject(t)
	env := simEnv(t)
	unpaced(t)
	if code, out, errOut := runCmd(context.Background(), env, "run"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	a := &app{getenv: func(k string) string { return env[k] }, keyring: secrets.NewKeyring(&secretstest.MemStore{}, time.Second),
		redactor: &secrets.Redactor{}}
	plan, err := a.loadPlan()
	if err != nil {
		t.Fatal(err)
	}
	dst, err := a.destination(t.Context(), plan)
	if err != nil {
		t.Fatal(err)
	}
	for name, sql := range skillSQL(t) {
		res, err := dst.Query(t.Context(), sql, dest.Bounds{Rows: 20, CellBytes: 4096, Bytes: 1 << 20})
		if err != nil {
			t.Errorf("%s does not run on the demo dataset: %v\n%s", name, err, sql)
			continue
		}
		t.Logf("%s: %d rows", name, len(res.Rows))
	}
}

// skillNames are the workflows init installs, each a skill and, where the agent has
// them, an entry command.
var skillNames = []string{"secoda-pipeline", "debug-pipeline", "adjust-endpoint", "validate-data", "explore-catalog", "schedule-pipeline"}

func TestInitInstallsSkillsAndCommands(t *testing.T) {
	for _, a := range agents.Agents {
		t.Run(string(a), func(t *testing.T) {
			dir, _, ta := initProject(t)
			code, out, errOut := ta.run(context.Background(), "init", "--agent", string(a))
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			var paths []string
			for _, name := range skillNames {
				switch a {
				case agents.Claude:
					paths = append(paths, ".claude/skills/"+name+"/SKILL.md", ".claude/commands/"+name+".md")
				case agents.Cursor:
					paths = append(paths, ".cursor/skills/"+name+"/SKILL.md", ".cursor/commands/"+name+".md")
				default:
					paths = append(paths, ".agents/skills/"+name+"/SKILL.md")
				}
			}
			for _, path := range paths {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(path) + ` +created \(.+\)$`).MatchString(out) {
					t.Errorf("the output does not list %s as created:\n%s", path, out)
				}
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
				if err != nil {
					t.Error(err)
					continue
				}
				if strings.HasSuffix(path, "SKILL.md") && !strings.HasPrefix(string(b), "---\nname: "+filepath.Base(filepath.Dir(path))+"\ndescription: \"Use ") {
					t.Errorf("%s: no front matter naming it and saying when to use it: %.100q", path, b)
				}
			}
			before := filetree.Snapshot(t, dir)
			code, out, errOut = ta.run(context.Background(), "init", "--agent", string(a))
			if code != exitOK {
				t.Fatalf("second run: exit %d\n%s\n%s", code, out, errOut)
			}
			for _, path := range paths {
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

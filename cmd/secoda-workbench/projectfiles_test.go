//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// TestInitRefusesNamedPipes: init used to hang for ever on a named pipe called
// CLAUDE.md (opening one waits for a writer), deaf to Ctrl-C. Every file init reads is
// now refused at once when it is not a regular file, and nothing is written.
func TestInitRefusesNamedPipes(t *testing.T) {
	for _, tt := range []struct{ agent, path string }{
		{"claude", "CLAUDE.md"}, {"claude", ".mcp.json"}, {"claude", ".claude/settings.json"}, {"claude", ".gitignore"},
		{"cursor", ".cursor/mcp.json"}, {"cursor", ".cursorignore"},
		{"codex", "AGENTS.md"}, {"codex", ".codex/config.toml"}, {"codex", ".agents/skills/secoda-pipeline/SKILL.md"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			dir, _, ta := initProject(t)
			fifo := filepath.Join(dir, filepath.FromSlash(tt.path))
			filetree.MakeFIFO(t, fifo)
			before := filetree.Snapshot(t, dir)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			type result struct {
				code   int
				stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, _, errOut := ta.run(ctx, "init", "--agent", tt.agent)
				done <- result{code, errOut}
			}()
			select {
			case r := <-done:
				if r.code != exitFailure || !strings.Contains(r.stderr, "nothing was written; init refuses:\n  "+tt.path+": a named pipe (FIFO), not a regular file") ||
					!strings.Contains(r.stderr, "remove it or replace it with a regular file") {
					t.Fatalf("exit %d\n%s", r.code, r.stderr)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("init blocked on a named pipe")
			}
			if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
				t.Errorf("init wrote although it refused: %v", after)
			}
		})
	}
}

// TestHelperMain is not a test: it is the program, main and all (signals included),
// for the tests that run it as a process of its own.
func TestHelperMain(t *testing.T) {
	args := os.Getenv("SECODA_WORKBENCH_TEST_MAIN")
	if args == "" {
		return
	}
	os.Args = append([]string{"secoda-workbench"}, strings.Split(args, " ")...)
	main()
}

// TestInitStopsOnSIGTERM: the program sent SIGTERM during init stops at once and
// writes nothing; it used to hang on a named pipe called CLAUDE.md, deaf to SIGTERM.
func TestInitStopsOnSIGTERM(t *testing.T) {
	dir, _, _ := initProject(t)
	// A named pipe for CLAUDE.md, and standard input a pipe nobody writes to: the
	// program, whatever it waits on, must not outlast SIGTERM.
	filetree.MakeFIFO(t, filepath.Join(dir, "CLAUDE.md"))
	cmd := exec.Command(testBinary(t), "-test.run=^TestHelperMain$")
	cmd.Env = append(os.Environ(), "SECODA_WORKBENCH_TEST_MAIN=init --agent claude")
	cmd.Dir = dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	time.Sleep(300 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("init outlived SIGTERM")
	}
	if files := filetree.Snapshot(t, dir); len(files) != 1 {
		t.Errorf("init wrote: %v", files)
	}
}

// TestInitStopsWhenCancelled: the command's context (Ctrl-C, SIGTERM) stops init
// before it writes anything.
func TestInitStopsWhenCancelled(t *testing.T) {
	dir, _, ta := initProject(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, errOut := ta.run(ctx, "init", "--agent", "codex")
	if code != exitFailure || !strings.Contains(errOut, "context canceled") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if files := filetree.Snapshot(t, dir); len(files) != 0 {
		t.Errorf("a cancelled init wrote: %v", files)
	}
}

// TestValidateReportsADestinationOutsideTheProject: a path outside the project is an
// error at its line, with what to do.
func TestValidateReportsADestinationOutsideTheProject(t *testing.T) {
	dir := inProject(t)
	outside := t.TempDir()
	for _, path := range []string{filepath.Join(outside, "secoda.duckdb"), "../elsewhere.duckdb"} {
		writeProjectFile(t, dir, pipeline.ConfigFileName, "[pipeline]\nname = \"secoda_pipeline\"\n\n[destination]\npath = \""+path+"\"\n\n[resources.tag]\n")
		code, out, errOut := runCmd(context.Background(), nil, "validate")
		want := "secoda_pipeline.toml:5:8: destination.path: \"" + path + "\" is outside the project folder " + dir
		if code != exitFailure || !strings.Contains(errOut, want) || !strings.Contains(errOut, "use a path inside it, e.g. \"secoda.duckdb\"") {
			t.Errorf("exit %d, want %q\n%s%s", code, want, out, errOut)
		}
	}
}

// TestScaffoldForceKeepsALinkOut: scaffold --force over a config that is a link out of
// the project refuses, and the file the link leads to (a private key, say) is intact.
func TestScaffoldForceKeepsALinkOut(t *testing.T) {
	dir := inProject(t)
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(key, []byte("PRIVATE KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(key, filepath.Join(dir, pipeline.ConfigFileName)); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(context.Background(), nil, "scaffold", "--force")
	if code != exitFailure || !strings.Contains(errOut, "the symbolic link secoda_pipeline.toml leads to "+key) ||
		!strings.Contains(errOut, "replace the link with a regular file") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if b, _ := os.ReadFile(key); string(b) != "PRIVATE KEY\n" {
		t.Errorf("scaffold wrote through the link: %q", b)
	}
	for _, args := range [][]string{{"validate"}, {"status"}} {
		code, out, errOut := runCmd(context.Background(), nil, args...)
		if code != exitFailure || !strings.Contains(errOut, "cannot read the file: the symbolic link secoda_pipeline.toml leads to "+key) ||
			strings.Contains(out+errOut, "PRIVATE") {
			t.Errorf("%s: exit %d\n%s%s", args[0], code, out, errOut)
		}
	}
}

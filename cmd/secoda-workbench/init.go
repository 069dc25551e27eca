package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/agents"
)

func newInitCmd(a *app) *cobra.Command {
	var (
		agentFlag     string
		dryRun, force bool
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Wire a coding agent (claude, cursor, codex) to the MCP server, its rules and its skill",
		Long: "Write, in the current project, what a coding agent needs: the MCP server entry, always-on rules, the pipeline\n" +
			"skill, rules that keep secrets files out of its reach, and .gitignore lines for the data and secrets. Existing\n" +
			"files are merged, never clobbered; a second run changes nothing. Without --agent it looks for signs of one.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := os.Getwd()
			if err != nil {
				return err
			}
			agent, err := a.chooseAgent(cmd, agentFlag, dir)
			if err != nil {
				return err
			}
			command, note := serverCommand()
			// The command's context ends on Ctrl-C or SIGTERM: init stops between files,
			// and before it renames anything into place.
			ctx := cmd.Context()
			changes, err := agents.Plan(ctx, dir, agent, agents.Options{Command: command, InsecureFile: a.insecure, Force: force})
			if err != nil {
				return err
			}
			applied, err := a.writeChanges(ctx, "init", dir, changes, dryRun, func(p string) string { return p }, agents.ErrEdited,
				fmt.Sprintf("Fix those files, or run `secoda-workbench init --agent %s --force` to replace init's own files and blocks (your other text stays).", agent))
			if !applied || err != nil {
				return err
			}
			fmt.Fprintf(a.io.Out, "Wired %s to secoda-workbench in %s:\n", agent, dir)
			for _, c := range changes {
				fmt.Fprintf(a.io.Out, "  %-45s %s (%s)\n", c.Path, c.Status, c.What)
			}
			if note != "" {
				fmt.Fprintln(a.io.Out, note)
			}
			fmt.Fprintln(a.io.Out, "Next:", agents.NextStep(agent))
			return nil
		},
	}
	cmd.Flags().StringVar(&agentFlag, "agent", "", "the agent: claude, cursor or codex (default: the one this project or your home folder shows)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would change, as a diff, and write nothing")
	cmd.Flags().BoolVar(&force, "force", false, "replace init's own files and blocks even where they were edited by hand")
	return cmd
}

// chooseAgent takes --agent, or the one agent the project (or home) shows, or asks.
func (a *app) chooseAgent(cmd *cobra.Command, flag, dir string) (agents.Agent, error) {
	if flag != "" {
		ag, err := agents.ParseAgent(flag)
		if err != nil {
			return "", usagef(cmd, "%v", err)
		}
		return ag, nil
	}
	home, _ := os.UserHomeDir()
	found := agents.Detect(dir, home)
	if len(found) == 1 {
		fmt.Fprintf(a.io.ErrOut, "Found signs of %s; wiring it (choose with --agent).\n", found[0])
		return found[0], nil
	}
	if !a.io.InTTY {
		what := "no agent"
		if len(found) > 1 {
			what = fmt.Sprintf("several agents (%v)", found)
		}
		return "", usagef(cmd, "this project shows %s: choose one with --agent claude, cursor or codex", what)
	}
	fmt.Fprint(a.io.ErrOut, "Which coding agent? [claude/cursor/codex]: ")
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() { // a read of the terminal cannot be cancelled: Ctrl-C leaves it behind
		line, err := bufio.NewReader(a.io.In).ReadString('\n')
		got <- answer{line, err}
	}()
	select {
	case <-cmd.Context().Done():
		fmt.Fprintln(a.io.ErrOut)
		return "", cmd.Context().Err()
	case ans := <-got:
		if ans.err != nil && ans.line == "" {
			return "", ans.err
		}
		return agents.ParseAgent(ans.line)
	}
}

// serverCommand is how an agent starts the server: by name when this very binary is
// the one on PATH, else by its absolute path.
func serverCommand() (string, string) {
	self, err := os.Executable()
	if err != nil {
		return "secoda-workbench", ""
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	if onPath, err := exec.LookPath("secoda-workbench"); err == nil {
		a, errA := os.Stat(onPath)
		b, errB := os.Stat(self)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return "secoda-workbench", ""
		}
	}
	note := fmt.Sprintf("The agent starts the server by its absolute path, %s, since this binary is not the secoda-workbench on your PATH.", self)
	if strings.Contains(self, string(filepath.Separator)+"go-build") {
		note += " That path is `go run`'s temporary build and will vanish: build or install the binary (`go install ./cmd/secoda-workbench`) and run init again."
	}
	return self, note
}

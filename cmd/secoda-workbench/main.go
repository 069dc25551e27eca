// Command secoda-workbench loads a Secoda workspace into a database and lets people and
// their coding agents query it. Each subcommand lives in its own file and only parses
// flags and calls the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/secoda-workbench/secoda-workbench/internal/gctune"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// Exit statuses, as interface.md promises (0 success, 1 failure, 2 bad usage) and as a
// scheduler acts on them. exitCodes is the one list: `--help`, the README's table and
// the tests read it.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitIncomplete = 3
	exitKey        = 4
	exitInUse      = 5
	exitUnchanged  = 6
	exitStale      = 7
)

// exitCode is one exit status and what it means.
type exitCode struct {
	Code    int
	Name    string
	Meaning string
}

var exitCodes = []exitCode{
	{exitOK, "loaded", "the run loaded, or found nothing new to load; every other command: it did what was asked"},
	{exitFailure, "failed", "the run (or command) failed: the error, and the run's trace, say where and what to do; nothing half-done is visible"},
	{exitUsage, "bad usage", "a flag or argument is wrong; nothing was done"},
	{exitIncomplete, "incomplete", "the run loaded what it could, and names the parts of the workspace it could not read (Secoda's cap) and what to do"},
	{exitKey, "key rejected", "Secoda refused the API key, or none was found: `secoda-workbench secrets status`"},
	{exitInUse, "in use", "another run of the pipeline is going on, or another process holds the dataset: nothing was done; the next scheduled run goes on"},
	{exitUnchanged, "nothing to load", "only with `run --detailed-exitcode`: the run found nothing new (without it, 0)"},
	{exitStale, "stale", "`status --max-age`: the last complete load is older than asked, or there is none"},
}

// exitCodesText is the list of codes for a command's --help.
func exitCodesText(codes ...int) string {
	var b strings.Builder
	b.WriteString("Exit status:\n")
	for _, c := range exitCodes {
		if slices.Contains(codes, c.Code) {
			fmt.Fprintf(&b, "  %d  %s: %s\n", c.Code, c.Name, c.Meaning)
		}
	}
	return b.String()
}

// exitCodesMarkdown is the README's table.
func exitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString("| status | outcome | meaning |\n|---|---|---|\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "| %d | %s | %s |\n", c.Code, c.Name, c.Meaning)
	}
	return b.String()
}

// errIncomplete is a run that loaded, incompletely; its LoadInfo has said why.
var errIncomplete = errors.New("the load is incomplete")

// errUnchanged is a run that found nothing new, under --detailed-exitcode.
var errUnchanged = errors.New("nothing new to load")

// errStale is a status older than --max-age; the output has said so.
var errStale = errors.New("the last complete load is too old")

// app is what every command needs: the streams, the environment, the keyring and the
// redactor every line of output passes through.
type app struct {
	io       *ioStreams
	getenv   func(string) string
	keyring  *secrets.Keyring
	insecure string // the --insecure-storage file
	redactor *secrets.Redactor
}

func main() {
	gctune.Apply()
	// The first Ctrl-C or SIGTERM ends the command's context, which every command
	// stops on (a run keeping what it read); a second one ends the program at once,
	// whatever it waits for.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], &app{
		io:       newIOStreams(os.Stdin, os.Stdout, os.Stderr),
		getenv:   os.Getenv,
		keyring:  secrets.NewKeyring(secrets.OSStore{}, 0),
		insecure: secrets.DefaultInsecurePath(),
	})
	stop()
	os.Exit(code)
}

// run executes one command line; main and the tests both come through here. Every byte
// the command writes passes through the redactor, which knows SECODA_API_KEY from the
// start and any other key as soon as it is found.
func run(ctx context.Context, args []string, a *app) int {
	if a.redactor == nil {
		a.redactor = &secrets.Redactor{}
	}
	a.redactor.Add(strings.TrimSpace(a.getenv(secoda.EnvAPIKey)))
	a.redactor.Add(a.getenv(secrets.EnvDestinationPassword))
	for _, env := range bucket.EnvSecrets { // the clouds' credential chains
		for _, v := range bucket.SecretsIn(a.getenv(env)) {
			a.redactor.Add(v)
		}
	}
	out, errOut := a.redactor.Writer(a.io.Out), a.redactor.Writer(a.io.ErrOut)
	defer out.Flush()
	defer errOut.Flush()
	streams := *a.io
	streams.Out, streams.ErrOut = out, errOut
	a.io = &streams
	io := a.io
	root := newRootCmd(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(io.ErrOut, "error: %v\nRun `%s --help` for usage.\n", err, ue.cmd)
		return exitUsage
	}
	if strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintf(io.ErrOut, "error: %v\nRun `secoda-workbench --help` for the commands.\n", err)
		return exitUsage
	}
	code := exitStatus(err)
	if !errors.Is(err, errSilent) && code != exitIncomplete && code != exitUnchanged && code != exitStale {
		fmt.Fprintf(io.ErrOut, "error: %v\n", err)
	}
	return code
}

// exitStatus is the status a command's error exits with.
func exitStatus(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errIncomplete):
		return exitIncomplete
	case errors.Is(err, errUnchanged):
		return exitUnchanged
	case errors.Is(err, errStale):
		return exitStale
	case errors.Is(err, secoda.ErrKeyRejected) || errors.Is(err, secrets.ErrNoKey):
		return exitKey
	case errors.Is(err, dest.ErrInUse) || errors.Is(err, pipeline.ErrRunning):
		return exitInUse
	}
	return exitFailure
}

// usageError marks a bad command line (exit status 2).
type usageError struct {
	cmd string
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageArgs makes a positional-argument check's complaint a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{cmd: cmd.CommandPath(), err: err}
		}
		return nil
	}
}

func usagef(cmd *cobra.Command, format string, a ...any) error {
	return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf(format, a...)}
}

func newRootCmd(a *app) *cobra.Command {
	io := a.io
	root := &cobra.Command{
		Use:   "secoda-workbench",
		Short: "Load a Secoda workspace into a database and query it, from the shell or a coding agent",
		Long: "secoda-workbench loads a Secoda workspace (catalog, documents, collections, integrations and the rest)\n" +
			"into DuckDB with dlt's table layout, and serves MCP tools so coding agents can build and debug the pipeline.\n" +
			"The API key lives in the OS keyring and is never shown.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd.CommandPath(), err: err}
	})
	root.AddCommand(
		newVersionCmd(a),
		newEndpointsCmd(a),
		newSimulateCmd(a),
		newScaffoldCmd(a),
		newValidateCmd(a),
		newRunCmd(a),
		newQueryCmd(a),
		newStatusCmd(a),
		newTraceCmd(a),
		newDemoCmd(a),
		newSecretsCmd(a),
		newServeCmd(a),
		newInitCmd(a),
		newDeployCmd(a),
		newShowCmd(a),
	)
	return root
}

// ioStreams carries the standard streams and whether they are terminals, so that every
// command is testable and progress appears only on a terminal.
type ioStreams struct {
	In          io.Reader
	Out, ErrOut io.Writer
	InTTY       bool
	OutTTY      bool
	ErrTTY      bool
	// ReadPassword reads a line from the terminal without echoing it; set when In is one.
	ReadPassword func() ([]byte, error)
}

func newIOStreams(in, out, errOut *os.File) *ioStreams {
	s := &ioStreams{In: in, Out: out, ErrOut: errOut, InTTY: isTerminal(in), OutTTY: isTerminal(out), ErrTTY: isTerminal(errOut)}
	if s.InTTY {
		s.ReadPassword = func() ([]byte, error) { return term.ReadPassword(int(in.Fd())) }
	}
	return s
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

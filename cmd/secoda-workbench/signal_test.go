package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// stopBound is how soon a signalled run must have exited: a correctness bound (the run
// checks for cancellation), not a measure of speed.
const stopBound = 5 * time.Second

// rowCount counts a table's rows with `query`, in the current folder.
func rowCount(t *testing.T, table string) string {
	t.Helper()
	code, out, errOut := runCmd(context.Background(), nil, "query", "SELECT count(*) AS n FROM "+table, "--format", "csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 2 {
		t.Fatalf("counting %s: exit %d, %s %s", table, code, out, errOut)
	}
	return lines[1]
}

// TestSignalsStopARunPromptly runs the built binary as a user does, with
// detail_concurrency at its most, and sends it SIGTERM (as a service manager does) and
// SIGINT (Ctrl-C) while it fetches resource details: it exits within stopBound, saying
// how to go on, and the dataset is as the last load left it.
func TestSignalsStopARunPromptly(t *testing.T) {
	bin := binary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := inProject(t)
			env := simEnvWith(t, simulator.Options{Seed: 41, Size: simulator.Medium, Faults: simulator.Faults{Latency: 5 * time.Millisecond}})
			cfg := "[source]\nrate_limit = 0\ndetail_concurrency = 64\n\n[resources.collection]\n[resources.resource_detail]\n"
			if err := os.WriteFile(pipeline.ConfigFileName, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, out, errOut := runCmd(context.Background(), env, "run", "--max-pages", "1"); code != exitOK {
				t.Fatalf("the first load: exit %d\n%s%s", code, out, errOut)
			}
			before := map[string]string{}
			for _, table := range []string{"collection", "resource_detail", "_dlt_loads"} {
				before[table] = rowCount(t, table)
			}

			cmd := exec.Command(bin, "run", "--full-refresh")
			cmd.Dir = dir
			cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			rows := filepath.Join(dir, pipeline.WorkDirName, "packages", "*", "resource_detail.rows")
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
				if m, _ := filepath.Glob(rows); len(m) > 0 {
					break
				}
				select {
				case err := <-done:
					t.Fatalf("the run ended before it fetched details: %v\n%s", err, stderr.String())
				default:
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the run fetched no details in a minute:\n%s", stderr.String())
				}
			}
			time.Sleep(100 * time.Millisecond) // well into the details
			sent := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != exitFailure {
					t.Fatalf("after %s: %v (want exit status %d)\n%s", sig, err, exitFailure, stderr.String())
				}
				t.Logf("exited %s after %s", time.Since(sent).Round(time.Millisecond), sig)
			case <-time.After(stopBound):
				cmd.Process.Kill()
				<-done
				t.Fatalf("the run was still going %s after %s\n%s", stopBound, sig, stderr.String())
			}
			if !strings.Contains(stderr.String(), "run again to go on from there") {
				t.Errorf("the interrupted run does not say how to go on:\n%s", stderr.String())
			}
			for table, n := range before {
				if got := rowCount(t, table); got != n {
					t.Errorf("%s: %s rows after %s, %s before", table, got, sig, n)
				}
			}
		})
	}
}

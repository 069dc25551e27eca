package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/deploy"
	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
)

func newDeployCmd(a *app) *cobra.Command {
	var (
		schedule, name, version string
		binary, user, image     string
		timeout                 time.Duration
		dryRun, force           bool
	)
	cmd := &cobra.Command{
		Use:       "deploy TARGET",
		Short:     "Write what runs the pipeline on a schedule: github-actions, systemd, cron or kubernetes",
		ValidArgs: []string{string(deploy.GitHubActions), string(deploy.Systemd), string(deploy.Cron), string(deploy.Kubernetes)},
		Long: "Write the files that run secoda_pipeline.toml's pipeline unattended, on a schedule:\n" +
			"  github-actions  .github/workflows/NAME.yml, at the root of the git repository\n" +
			"  systemd         deploy/systemd/NAME.service and NAME.timer\n" +
			"  cron            deploy/cron/NAME.crontab\n" +
			"  kubernetes      deploy/kubernetes/NAME.yaml (a ConfigMap and a CronJob) and its Dockerfile\n" +
			"then say what to set up next: the secrets, by name (the files hold none), and how to check the first run.\n" +
			"A destination on the job's own machine (a DuckDB file, a local folder, a server on localhost) is refused for\n" +
			"github-actions and kubernetes, whose machine is gone after each run. Files deploy wrote and you edited are left\n" +
			"alone unless --force; a second run changes nothing.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := deploy.ParseTarget(args[0])
			if err != nil {
				return usagef(cmd, "%v", err)
			}
			sched, err := deploy.ParseSchedule(schedule)
			if err != nil {
				return usagef(cmd, "--schedule: %v", err)
			}
			if err := checkTargetFlags(cmd, target); err != nil {
				return err
			}
			if timeout < time.Minute {
				return usagef(cmd, "--timeout %s: give at least 1m (e.g. 2h)", timeout)
			}
			for flag, p := range map[string]string{"--binary": binary} {
				if p != "" && !filepath.IsAbs(p) {
					return usagef(cmd, "%s %q: give an absolute path", flag, p)
				}
			}
			plan, err := a.loadPlan()
			if err != nil {
				return err
			}
			d, err := deploy.New(plan, deploy.Options{Target: target, Schedule: sched, Name: name, Version: version,
				Binary: binary, User: user, Image: image, Timeout: timeout})
			if err != nil {
				var flagErr *deploy.FlagError
				if errors.As(err, &flagErr) {
					return usagef(cmd, "%v", err)
				}
				return err
			}
			ctx := cmd.Context()
			changes, err := changeset.Plan(ctx, d.Root, d.Edits, force)
			if err != nil {
				return err
			}
			applied, err := a.writeChanges(ctx, "deploy", d.Root, changes, dryRun,
				func(p string) string { return relPath(filepath.Join(d.Root, p)) }, deploy.ErrEdited,
				fmt.Sprintf("Keep your edits, or run `secoda-workbench deploy %s --force` to write deploy's files afresh.", target))
			if !applied || err != nil {
				return err
			}
			out := a.io.Out
			changed := false
			for _, c := range changes {
				changed = changed || c.Status != changeset.Unchanged
			}
			if changed {
				fmt.Fprintf(out, "Wrote the %s deployment of %s:\n", target, plan.PipelineName)
			} else {
				fmt.Fprintf(out, "Nothing to change: the %s deployment of %s is up to date.\n", target, plan.PipelineName)
			}
			for _, c := range changes {
				fmt.Fprintf(out, "  %-45s %s (%s)\n", relPath(filepath.Join(d.Root, c.Path)), c.Status, c.What)
			}
			for _, n := range d.Notes {
				fmt.Fprintln(out, "Note:", n)
			}
			fmt.Fprintln(out, "Next:")
			for i, s := range d.Next {
				fmt.Fprintf(out, "  %d. %s\n", i+1, s)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&schedule, "schedule", deploy.DefaultSchedule, "when to run: a 5-field cron expression (or @hourly, @daily, @weekly, @monthly), in UTC; cron: the machine's time zone")
	fl.StringVar(&name, "name", "", "names the files, units and resources (default secoda-workbench, or secoda-workbench-PIPELINE for a pipeline named otherwise)")
	fl.StringVar(&version, "version", "", "the secoda-workbench release to install, e.g. v1.2.3 (default: this binary's; latest for a development build)")
	fl.DurationVar(&timeout, "timeout", deploy.DefaultTimeout, "the longest one run may take before it is stopped")
	fl.StringVar(&binary, "binary", "", "systemd, cron: the installed binary's absolute path (default "+deploy.DefaultBinary+")")
	fl.StringVar(&user, "user", "", "systemd: the user the service runs as (default: you; "+deploy.DefaultServiceUser+" when you are root)")
	fl.StringVar(&image, "image", "", "kubernetes: the image the CronJob runs (default secoda-workbench:VERSION, built from the Dockerfile written beside it)")
	fl.BoolVar(&dryRun, "dry-run", false, "print what would change, as a diff, and write nothing")
	fl.BoolVar(&force, "force", false, "replace deploy's files even where they were edited by hand")
	return cmd
}

// targetFlags are the flags only some targets take.
var targetFlags = map[string][]deploy.Target{
	"binary": {deploy.Systemd, deploy.Cron},
	"user":   {deploy.Systemd},
	"image":  {deploy.Kubernetes},
}

// checkTargetFlags refuses a flag the target has no use for, rather than ignore it.
func checkTargetFlags(cmd *cobra.Command, t deploy.Target) error {
	for flag, targets := range targetFlags {
		if !cmd.Flags().Changed(flag) {
			continue
		}
		ok := false
		var names []string
		for _, x := range targets {
			ok = ok || x == t
			names = append(names, string(x))
		}
		if !ok {
			return usagef(cmd, "--%s is for %s, not %s", flag, strings.Join(names, " and "), t)
		}
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

func newRunCmd(a *app) *cobra.Command {
	io := a.io
	var (
		resources   []string
		maxPages    int
		fullRefresh bool
		restart     bool
		asJSON      bool
		logFormat   string
		noNotify    bool
		detailed    bool
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Load the configured resources into the dataset",
		Long: "Extract the resources of secoda_pipeline.toml from Secoda, normalize them into dlt's table layout and\n" +
			"load them into the dataset in one transaction, incrementally where a cursor is configured.\n" +
			"Develop with --max-pages, then run in full. An interrupted run (killed, cancelled, failed) leaves what it\n" +
			"read in the work folder: the next run goes on from there, --restart discards it.\n" +
			"On a schedule: --log-format json writes one JSON event a line on stdout (progress, retries, 429 waits,\n" +
			"the notification, the summary); [notify] in the config sends a failure or an incomplete run to a webhook.\n\n" +
			exitCodesText(exitOK, exitFailure, exitUsage, exitIncomplete, exitKey, exitInUse, exitUnchanged),
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := pipeline.LimitMaxPages.CheckNumber("--max-pages", maxPages); err != nil {
				return usagef(cmd, "%v", err)
			}
			if logFormat != "text" && logFormat != "json" {
				return usagef(cmd, "--log-format is text or json, not %q", logFormat)
			}
			if logFormat == "json" && asJSON {
				return usagef(cmd, "--json prints the load info, --log-format json every event with the load info in its summary: take one")
			}
			plan, err := a.loadPlan()
			if err != nil {
				return err
			}
			var log *runLog
			if logFormat == "json" {
				log = newRunLog(io.Out, plan)
			}
			warn := func(msg string) {
				if log != nil {
					log.warning(msg)
				} else {
					fmt.Fprintln(io.ErrOut, "warning:", msg)
				}
			}
			opts := pipeline.RunOptions{Resources: splitList(resources), MaxPages: maxPages,
				FullRefresh: fullRefresh, Restart: restart, NoNotify: noNotify}
			if plan.Notify != nil && !noNotify {
				u, err := a.notifyURL(cmd.Context(), plan)
				if err != nil {
					warn(err.Error() + "; the run goes on, and its trace records that no notification was sent")
				}
				opts.NotifyURL = u
			}
			key, base, err := a.connection(cmd.Context(), plan)
			if err == nil {
				opts.APIKey, opts.BaseURL = key, base
				opts.DestinationPassword, err = a.destinationPassword(cmd.Context(), plan)
			}
			if err != nil { // the run cannot start: its trace and notification say so
				err = pipeline.Refused(cmd.Context(), plan, opts, err)
				if log != nil {
					log.summary(nil, err, exitStatus(err))
				}
				return err
			}
			var prog *progressPrinter
			if log != nil {
				opts.Progress, opts.OnNotify, opts.OnStart = log.progress, log.notified, log.start
			} else {
				prog = newProgressPrinter(io)
				opts.Progress = prog.update
				opts.OnNotify = func(r notify.Result) {
					if !r.Sent {
						fmt.Fprintf(io.ErrOut, "warning: the %s notification was not sent: %s (the run's outcome stands; its trace records this)\n", r.Event, r.Error)
					}
				}
			}
			info, err := pipeline.Run(cmd.Context(), plan, opts)
			if prog != nil {
				prog.finish()
			}
			if err == nil {
				switch {
				case len(info.Incomplete()) > 0:
					err = errIncomplete
				case !info.Loaded && detailed:
					err = errUnchanged
				}
			}
			if log != nil {
				log.summary(info, err, exitStatus(err))
				return err
			}
			if info == nil {
				return err
			}
			var werr error
			if asJSON {
				werr = writeJSON(io.Out, info)
			} else {
				_, werr = io.Out.Write([]byte(info.String()))
			}
			if err == nil {
				err = werr
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&resources, "resources", nil, "load only these resources (comma-separated)")
	fl.IntVar(&maxPages, "max-pages", 0, "stop each resource after N pages (for development; cursors are not moved): "+pipeline.LimitMaxPages.Range())
	fl.BoolVar(&fullRefresh, "full-refresh", false, "drop the selected resources' tables and state first")
	fl.BoolVar(&restart, "restart", false, "discard what an interrupted run had read, instead of going on from it")
	fl.BoolVar(&asJSON, "json", false, "print the load info as JSON")
	fl.StringVar(&logFormat, "log-format", "text", "text (progress on stderr, the load info on stdout) or json (one event a line on stdout, for log collectors)")
	fl.BoolVar(&noNotify, "no-notify", false, "send no [notify] message for this run")
	fl.BoolVar(&detailed, "detailed-exitcode", false, fmt.Sprintf("exit %d, not 0, when there was nothing new to load", exitUnchanged))
	return cmd
}

// notifyURL finds the [notify] webhook's URL and tells the redactor; "" and why when
// none is kept.
func (a *app) notifyURL(ctx context.Context, plan *pipeline.Plan) (string, error) {
	found, err := a.finder().FindNotifyURL(ctx, plan.PipelineName)
	if err != nil {
		return "", err
	}
	a.redactor.Add(found.Key.Reveal())
	return found.Key.Reveal(), nil
}

// splitList accepts a,b and a b and repeated flags alike.
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
			out = append(out, p)
		}
	}
	return out
}

package main

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

func newStatusCmd(a *app) *cobra.Command {
	io := a.io
	var (
		asJSON bool
		maxAge string
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the pipeline's state: loads, row counts and incremental cursors",
		Long: "Show the pipeline's state: the last loads and runs, row counts, incremental cursors, and what an\n" +
			"interrupted or incomplete run left. With --max-age it is a freshness check any monitor can run: it exits\n" +
			fmt.Sprintf("%d when the last complete load finished longer ago than that, or there is none.\n\n", exitStale) +
			exitCodesText(exitOK, exitFailure, exitUsage, exitKey, exitInUse, exitStale),
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var age time.Duration
			if maxAge != "" {
				var err error
				if age, err = parseAge(maxAge); err != nil {
					return usagef(cmd, "--max-age %q: %v", maxAge, err)
				}
			}
			plan, err := a.loadPlan()
			if err != nil {
				return err
			}
			rep, err := buildStatus(cmd, a, plan)
			if err != nil {
				return err
			}
			var fresh *freshness
			if age > 0 {
				fresh = checkFreshness(rep, age, time.Now())
			}
			if asJSON {
				if err := writeJSON(io.Out, struct {
					*pipeline.View
					Freshness *freshness `json:"freshness,omitempty"`
				}{rep, fresh}); err != nil {
					return err
				}
			} else {
				writeStatus(io, rep)
				if fresh != nil {
					fmt.Fprintf(io.Out, "\n%s\n", fresh.Text)
				}
			}
			if fresh != nil && fresh.Stale {
				return errStale
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&maxAge, "max-age", "", fmt.Sprintf("exit %d when the last complete load is older than this (24h, 90m, 7d; at most %s)", exitStale, maxAgeLimit))
	return cmd
}

// maxAgeLimit bounds --max-age: past a year it checks nothing.
const maxAgeLimit = "366d"

// parseAge reads a duration as Go writes it (90m, 24h, 1h30m), or whole days (7d).
func parseAge(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("write a duration as 24h, 90m or 7d")
		}
		d = time.Duration(n) * 24 * time.Hour
		if n > 366 {
			d = 367 * 24 * time.Hour
		}
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("write a duration as 24h, 90m or 7d")
		}
	}
	switch {
	case d <= 0:
		return 0, fmt.Errorf("it must be more than 0")
	case d > 366*24*time.Hour:
		return 0, fmt.Errorf("it is more than %s", maxAgeLimit)
	}
	return d, nil
}

// freshness is --max-age's verdict.
type freshness struct {
	MaxAgeSeconds float64 `json:"max_age_seconds"`
	// LoadID and FinishedAt are the last complete load's; absent when there is none
	// among the loads read.
	LoadID     string    `json:"last_complete_load,omitempty"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	AgeSeconds float64   `json:"age_seconds,omitempty"`
	Stale      bool      `json:"stale"`
	Text       string    `json:"text"`
}

// checkFreshness finds the last complete load (loaded, not incomplete) and tells
// whether it is older than maxAge at now.
func checkFreshness(v *pipeline.View, maxAge time.Duration, now time.Time) *freshness {
	f := &freshness{MaxAgeSeconds: maxAge.Seconds()}
	for _, l := range v.Loads { // newest first
		if l.Status != "loaded" {
			continue
		}
		age := now.Sub(l.FinishedAt)
		f.LoadID, f.FinishedAt, f.AgeSeconds = l.LoadID, l.FinishedAt, age.Seconds()
		f.Stale = age > maxAge
		state := "FRESH"
		if f.Stale {
			state = "STALE"
		}
		f.Text = fmt.Sprintf("%s: the last complete load (%s) finished %s ago, at %s; the limit is %s.", state, l.LoadID,
			age.Round(time.Second), l.FinishedAt.Local().Format("2006-01-02 15:04:05"), maxAge)
		if f.Stale {
			f.Text += " Look at the last runs: `secoda-workbench trace --list`."
		}
		return f
	}
	f.Stale = true
	switch {
	case !v.Loaded:
		f.Text = "STALE: nothing has been loaded yet: run `secoda-workbench run`."
	case len(v.Loads) == 0:
		f.Text = "STALE: the dataset lists no load."
	default:
		f.Text = fmt.Sprintf("STALE: none of the last %d loads is complete (each was incomplete or failed): `secoda-workbench trace --list` says why.", len(v.Loads))
	}
	return f
}

// buildStatus reads the pipeline's View (pipeline.ReadView), which pipeline_status and
// the dashboard's overview render too.
func buildStatus(cmd *cobra.Command, a *app, plan *pipeline.Plan) (*pipeline.View, error) {
	dst, err := a.destination(cmd.Context(), plan)
	if err != nil {
		return nil, err
	}
	return pipeline.ReadView(cmd.Context(), plan, dst, cwd())
}

func writeStatus(io *ioStreams, rep *pipeline.View) {
	fmt.Fprintf(io.Out, "Pipeline %s, dataset %s in %s (config %s)\n", rep.Pipeline, rep.Dataset, rep.Destination, rep.Config)
	for _, l := range rep.Health.Lines() {
		fmt.Fprintln(io.Out, l)
	}
	if len(rep.Runs) > 0 && rep.Runs[0].Error != "" {
		r := rep.Runs[0]
		fmt.Fprintf(io.Out, "The last run (%s, %s) %s: %s. Next: %s. `secoda-workbench trace` shows what it did.\n",
			r.RunID, r.StartedAt.Local().Format("2006-01-02 15:04:05"), strings.ToUpper(r.Outcome), r.Error, r.Next)
	}
	if !rep.Loaded {
		fmt.Fprintln(io.Out, "Nothing loaded yet: run `secoda-workbench run`.")
		return
	}
	fmt.Fprintf(io.Out, "\nLast loads (schema version %d):\n", rep.SchemaVersion)
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  LOAD ID\tSTATUS\tFINISHED\tDURATION\tRECORDS\tREQUESTS\tRETRIES\t429s")
	for _, l := range rep.Loads {
		dur := "-"
		if l.Seconds > 0 {
			dur = time.Duration(l.Seconds * float64(time.Second)).Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", l.LoadID, l.Status, l.FinishedAt.Local().Format("2006-01-02 15:04:05"), dur,
			l.Records, l.Requests, l.Retries, l.RateLimited)
	}
	tw.Flush()
	fmt.Fprintln(io.Out, "\nRow counts:")
	var names []string
	for n := range rep.RowCounts {
		names = append(names, n)
	}
	sort.Strings(names)
	tw = tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%d\n", n, rep.RowCounts[n])
	}
	tw.Flush()
	if len(rep.Partitions) > 0 {
		fmt.Fprintln(io.Out, "\nRead past Secoda's cap, in partitions (each with its own cursor):")
		for _, r := range slices.Sorted(maps.Keys(rep.Partitions)) {
			fmt.Fprintf(io.Out, "  %s: %d partitions\n", r, rep.Partitions[r])
		}
	}
	if len(rep.Cursors) > 0 {
		fmt.Fprintln(io.Out, "\nIncremental cursors:")
		var rs []string
		for r := range rep.Cursors {
			rs = append(rs, r)
		}
		sort.Strings(rs)
		for _, r := range rs {
			for f, v := range rep.Cursors[r] {
				fmt.Fprintf(io.Out, "  %s.%s > %s\n", r, f, v)
			}
		}
	}
}

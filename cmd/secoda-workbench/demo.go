package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/table"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// demoQuery is the sample query the demo runs: resources by type, with their tags
// counted through the child table, joined on _dlt_parent_id as dlt's layout has it.
const demoQuery = `SELECT rc.entity_type, count(*) AS resources, sum(coalesce(t.tags, 0)) AS tags, sum(rc.total_usage) AS usage
FROM resource_catalog rc
LEFT JOIN (SELECT _dlt_parent_id, count(*) AS tags FROM resource_catalog__tags GROUP BY 1) t ON t._dlt_parent_id = rc._dlt_id
GROUP BY rc.entity_type ORDER BY resources DESC`

func newDemoCmd(a *app) *cobra.Command {
	io := a.io
	var dir, size string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Load a simulated Secoda workspace into DuckDB, offline, and query it",
		Long: "Start the Secoda simulator in this process, write a secoda_pipeline.toml for it in --dir, run the\n" +
			"pipeline into DuckDB, and print the load info, the tables and a sample query. Nothing leaves this machine.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if dir == "" {
				d, err := os.MkdirTemp(".", "secoda-demo-")
				if err != nil {
					return err
				}
				dir = d
			} else if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			key := "sim-" + randomHex(16)
			sim, err := simulator.New(simulator.Options{Size: simulator.Size(size), Seed: 1, APIKeys: []string{key}})
			if err != nil {
				return usagef(cmd, "%v", err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(ln)
			defer srv.Close()
			base := "http://" + ln.Addr().String() + "/api/v1"
			fmt.Fprintf(io.Out, "Secoda simulator (%s workspace) at %s\n", size, base)

			noPacing := 0.0
			text, err := pipeline.Scaffold(pipeline.ScaffoldOptions{BaseURL: base, RateLimit: &noPacing})
			if err != nil {
				return err
			}
			configPath := filepath.Join(abs, pipeline.ConfigFileName)
			if err := writeConfigFile(configPath, text, true); err != nil {
				return err
			}
			plan, err := pipeline.LoadConfig(configPath)
			if err != nil {
				return err
			}
			fmt.Fprintf(io.Out, "Wrote %s\n\n", configPath)
			prog := newProgressPrinter(io)
			info, err := pipeline.Run(ctx, plan, pipeline.RunOptions{APIKey: key, BaseURL: base, Progress: prog.update})
			prog.finish()
			if err != nil {
				return err
			}
			fmt.Fprintln(io.Out, info.String())
			return demoReport(ctx, io, plan, abs)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "project folder to create (default: a new secoda-demo-* folder here)")
	cmd.Flags().StringVar(&size, "size", "small", "simulated workspace: small, medium or large")
	return cmd
}

// demoReport prints the tables with their row counts and the sample query.
func demoReport(ctx context.Context, io *ioStreams, plan *pipeline.Plan, dir string) error {
	dst, err := pipeline.OpenDestination(plan, "") // the demo's is DuckDB
	if err != nil {
		return err
	}
	counts, err := dst.TableRows(ctx)
	if err != nil {
		return err
	}
	var names []string
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(io.Out, "Tables in %s (dataset %s):\n", plan.DestinationPath, plan.DatasetName)
	for _, n := range names {
		fmt.Fprintf(io.Out, "  %-40s %8d rows\n", n, counts[n])
	}
	fmt.Fprintf(io.Out, "\nSample query:\n%s\n\n", demoQuery)
	res, err := dst.Query(ctx, demoQuery, dest.Rows(20))
	if err != nil {
		return err
	}
	if err := table.Write(io.Out, res, "table"); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "\nQuery it yourself:\n  cd %s\n  secoda-workbench query \"select title, entity_type, updated_at from resource_catalog order by updated_at desc limit 5\"\n", relPath(dir))
	fmt.Fprintln(io.Out, "Or look at it — loads, schema diagram, data and SQL — in your browser:\n  secoda-workbench show")
	fmt.Fprintln(io.Out, "The config points at this demo's simulator, which has stopped; for your workspace run `secoda-workbench scaffold --force` there.")
	return nil
}

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

func newEndpointsCmd(a *app) *cobra.Command {
	io := a.io
	var asJSON, asMarkdown bool
	cmd := &cobra.Command{
		Use:   "endpoints [QUERY]",
		Short: "List the Secoda endpoints the pipeline can load",
		Long: "List the endpoint catalog: each endpoint's table name, path, primary key, write disposition,\n" +
			"incremental cursor and filters. QUERY keeps those whose name, path or description holds it.",
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON && asMarkdown {
				return usagef(cmd, "choose one of --json and --markdown")
			}
			query := ""
			if len(args) == 1 {
				query = args[0]
			}
			eps := secoda.FilterEndpoints(query)
			if asJSON {
				enc := json.NewEncoder(io.Out)
				enc.SetIndent("", "  ")
				if eps == nil {
					eps = []secoda.Endpoint{}
				}
				return enc.Encode(eps)
			}
			if len(eps) == 0 {
				return fmt.Errorf("no endpoint matches %q; `secoda-workbench endpoints` lists them all", query)
			}
			if asMarkdown {
				writeEndpointMarkdown(io, eps)
				return nil
			}
			writeEndpointTable(io, eps)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&asMarkdown, "markdown", false, "print a Markdown table (the README's is made this way)")
	return cmd
}

func writeEndpointTable(io *ioStreams, eps []secoda.Endpoint) {
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPATH\tKEY\tDISPOSITION\tCURSOR\tFILTERS\tDESCRIPTION")
	for _, e := range eps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Path, e.PrimaryKey, e.Disposition,
			dash(e.Cursor), dash(endpointFilters(e)), endpointDescription(e))
	}
	tw.Flush()
}

func writeEndpointMarkdown(io *ioStreams, eps []secoda.Endpoint) {
	fmt.Fprintln(io.Out, "| name | path | key | disposition | cursor | filters | description |")
	fmt.Fprintln(io.Out, "|---|---|---|---|---|---|---|")
	for _, e := range eps {
		fmt.Fprintf(io.Out, "| `%s` | `%s` | %s | %s | %s | %s | %s |\n", e.Name, e.Path, e.PrimaryKey, e.Disposition,
			dash(e.Cursor), dash(endpointFilters(e)), strings.ReplaceAll(endpointDescription(e), "|", "\\|"))
	}
}

func endpointFilters(e secoda.Endpoint) string {
	var filters []string
	if e.CatalogQuery {
		filters = append(filters, "filter", "sort")
	}
	filters = append(filters, e.Params...)
	if e.Parent != "" {
		filters = append(filters, "ids of "+e.Parent)
	}
	return strings.Join(filters, ", ")
}

func endpointDescription(e secoda.Endpoint) string {
	if e.Deprecated {
		return e.Description + " (deprecated list)"
	}
	return e.Description
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

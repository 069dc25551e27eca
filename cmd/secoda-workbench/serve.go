package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/mcp"
	"github.com/secoda-workbench/secoda-workbench/tools"
)

// EnvMCPToken names the bearer token HTTP clients must send.
const EnvMCPToken = "SECODA_WORKBENCH_MCP_TOKEN"

func newServeCmd(a *app) *cobra.Command {
	var (
		httpAddr string
		readOnly bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the MCP tools to a coding agent (stdio, or --http for streamable HTTP)",
		Long: "Serve secoda-workbench's MCP tools: list_endpoints, inspect_credentials, scaffold_config, validate_config,\n" +
			"preview_endpoint, run_pipeline, pipeline_status, list_tables, get_table_schema, preview_table, get_row_counts,\n" +
			"export_schema and query_dataset, for the project in the current folder. Stdio by default (what Claude Code,\n" +
			"Cursor and Codex start); --http 127.0.0.1:PORT serves streamable HTTP at /mcp. --read-only leaves out the tools\n" +
			"that write. No tool takes or shows the API key.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			d := &tools.Deps{Dir: wd, Getenv: a.getenv, Keyring: a.keyring, Insecure: a.insecure, Redactor: a.redactor}
			s := mcp.New(d, mcp.Options{ReadOnly: readOnly})
			if httpAddr == "" {
				return mcp.ServeStdio(cmd.Context(), s, a.io.In, a.io.Out, a.io.ErrOut)
			}
			token := strings.TrimSpace(a.getenv(EnvMCPToken))
			a.redactor.Add(token)
			return mcp.ServeHTTP(cmd.Context(), s, mcp.HTTPOptions{Addr: httpAddr, Token: token, Ready: func(url string) {
				fmt.Fprintf(a.io.ErrOut, "secoda-workbench MCP server at %s (Ctrl-C to stop)\n", url)
			}})
		},
	}
	cmd.Flags().StringVar(&httpAddr, "http", "", "serve streamable HTTP on this address (e.g. 127.0.0.1:8765) instead of stdio")
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "leave out the tools that write (scaffold_config, run_pipeline)")
	return cmd
}

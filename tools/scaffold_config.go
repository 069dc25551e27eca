package tools

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// ScaffoldConfigIn is scaffold_config's input.
type ScaffoldConfigIn struct {
	Resources      []string `json:"resources" jsonschema:"endpoint names from list_endpoints, each loaded into a table of the same name; an empty list selects resource_catalog, document, collection and integration"`
	Destination    string   `json:"destination,omitempty" jsonschema:"duckdb (the default: a file in the project), postgres (a database server; give destination_url) or filesystem (Parquet files under data/, or in a bucket: give bucket_url)"`
	DestinationURL string   `json:"destination_url,omitempty" jsonschema:"postgres only: postgres://USER@HOST:PORT/DATABASE, never with a password (the user keeps it with secoda-workbench secrets set --destination)"`
	BucketURL      string   `json:"bucket_url,omitempty" jsonschema:"filesystem only: s3://bucket/prefix, gs://bucket/prefix or az://container/prefix (default: the local folder data/); credentials never go in it: the cloud's own chain, or a static key the user keeps with secoda-workbench secrets set --destination"`
	DatasetName    string   `json:"dataset_name,omitempty" jsonschema:"the schema the tables load into (default secoda_data)"`
	Overwrite      bool     `json:"overwrite,omitempty" jsonschema:"replace an existing secoda_pipeline.toml, losing its edits (default false: an existing file is never replaced)"`
}

// ScaffoldConfigOut is scaffold_config's result.
type ScaffoldConfigOut struct {
	Path      string           `json:"path" jsonschema:"the file written, relative to the project folder"`
	Resources []ConfigResource `json:"resources"`
	Replaced  bool             `json:"replaced" jsonschema:"an existing file was replaced"`
	Next      string           `json:"next"`
}

// ScaffoldConfig writes secoda_pipeline.toml from the endpoint catalog.
func ScaffoldConfig(d *Deps) Tool {
	h := Hints{ReadOnly: no(), Destructive: yes(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[ScaffoldConfigIn, ScaffoldConfigOut]("scaffold_config",
			"Write secoda_pipeline.toml in the project folder from the endpoint catalog: one commented [resources.<name>] section per "+
				"endpoint, with its write disposition, primary key and incremental cursor, and 60 requests a minute. It holds no secret. "+
				"An existing file is replaced only with overwrite: true (its edits are lost). Then preview_endpoint, then run_pipeline "+
				"with max_pages: 1.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in ScaffoldConfigIn) (ScaffoldConfigOut, string, error) {
			path := filepath.Join(d.Dir, pipeline.ConfigFileName)
			opts := pipeline.ScaffoldOptions{Resources: in.Resources, Destination: in.Destination, DestinationURL: in.DestinationURL, BucketURL: in.BucketURL, DatasetName: in.DatasetName}
			_, err := os.Stat(path)
			exists := err == nil
			switch {
			case exists && !in.Overwrite:
				return ScaffoldConfigOut{}, "", fmt.Errorf("%s already exists in %s: call validate_config to check it, edit it, or call "+
					"scaffold_config again with overwrite: true to replace it (its edits are lost)", pipeline.ConfigFileName, d.Dir)
			case exists:
				// The file being replaced may point at another region or the workspace's
				// own domain, and the key is kept for that host: keep it.
				if old, err := pipeline.LoadConfig(path); err == nil {
					opts.BaseURL = old.BaseURL
				}
			case !errors.Is(err, fs.ErrNotExist):
				return ScaffoldConfigOut{}, "", err
			}
			text, err := pipeline.Scaffold(opts)
			if err != nil {
				// Nothing is written. A destination_url holding a password is refused
				// here, saying where the password goes instead.
				return ScaffoldConfigOut{}, "", fmt.Errorf("%w (list_endpoints lists the endpoints; nothing was written)", err)
			}
			// Whole or not at all, never through a link out of the project (the rule of
			// internal/projectfs); a file made since the check above is kept.
			if err := pipeline.WriteConfig(d.Dir, text, in.Overwrite); errors.Is(err, fs.ErrExist) {
				return ScaffoldConfigOut{}, "", fmt.Errorf("%s was written in %s meanwhile: call validate_config to check it, or scaffold_config "+
					"again with overwrite: true to replace it (its edits are lost)", pipeline.ConfigFileName, d.Dir)
			} else if err != nil {
				return ScaffoldConfigOut{}, "", err
			}
			plan, err := pipeline.LoadConfig(path)
			if err != nil {
				return ScaffoldConfigOut{}, "", fmt.Errorf("the written %s does not parse back (a bug): %w", pipeline.ConfigFileName, err)
			}
			out := ScaffoldConfigOut{Path: relTo(d.Dir, path), Resources: configResources(plan), Replaced: exists,
				Next: "Look at a first page with preview_endpoint, then load one page per resource with run_pipeline max_pages: 1, then run_pipeline in full."}
			var b strings.Builder
			verb := "Wrote"
			if exists {
				verb = "Replaced"
			}
			fmt.Fprintf(&b, "%s %s (pipeline %s, dataset %s, %s) with %s:\n", verb, out.Path, plan.PipelineName, plan.DatasetName,
				plan.Destination(d.Dir), plural(len(out.Resources), "resource"))
			for _, r := range out.Resources {
				cursor := "full load each run"
				if r.Cursor != "" {
					cursor = "incremental on " + r.Cursor
				}
				fmt.Fprintf(&b, "- %s: %s, %s on %s, %s\n", r.Name, r.Path, r.Disposition, r.PrimaryKey, cursor)
			}
			b.WriteString("The file holds no secret; the API key stays in the OS keyring (`secoda-workbench secrets set`)")
			if plan.DestinationType == dest.Postgres {
				b.WriteString(", and the database's password with `secoda-workbench secrets set --destination` (or in " +
					pipeline.EnvDestinationPassword + ")")
			}
			b.WriteString(".\n")
			b.WriteString("Next: " + out.Next + "\n")
			return out, b.String(), nil
		}),
	}
}

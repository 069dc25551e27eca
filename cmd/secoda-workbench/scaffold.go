package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

func newScaffoldCmd(a *app) *cobra.Command {
	io := a.io
	var (
		resources                   []string
		dest, destURL, dataset, url string
		bucketURL                   string
		force                       bool
	)
	cmd := &cobra.Command{
		Use:   "scaffold",
		Short: "Write a commented secoda_pipeline.toml from the endpoint catalog",
		Long: "Write secoda_pipeline.toml in the current folder: the pipeline, the destination and one section per\n" +
			"resource, with the endpoint's defaults and its filters as comments. With no --resources it takes\n" +
			"resource_catalog, document, collection and integration, as dlt's Secoda pipeline does.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			text, err := pipeline.Scaffold(pipeline.ScaffoldOptions{Resources: splitList(resources), Destination: dest,
				DestinationURL: destURL, BucketURL: bucketURL, DatasetName: dataset, BaseURL: url})
			if err != nil {
				return usagef(cmd, "%v", err)
			}
			if err := writeConfigFile(pipeline.ConfigFileName, text, force); err != nil {
				return err
			}
			fmt.Fprintf(io.Out, "Wrote %s. Next: `secoda-workbench secrets set` (the API key), then `secoda-workbench validate --check-connection` and `secoda-workbench run --max-pages 1`.\n",
				pipeline.ConfigFileName)
			if dest == "postgres" {
				if destURL == "" {
					fmt.Fprintf(io.Out, "Edit [destination] url (now %s) to name your database; ", pipeline.DefaultPostgresURL)
				}
				fmt.Fprintln(io.Out, "keep the database password with `secoda-workbench secrets set --destination` (or in SECODA_DESTINATION_PASSWORD), never in the file.")
			}
			if bucketURL != "" {
				fmt.Fprintln(io.Out, "The bucket's credentials come from its cloud's chain, or a static key kept with `secoda-workbench secrets set --destination`; "+
					"`secoda-workbench validate --check-connection` writes, reads and deletes a test object there.")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&resources, "resources", nil, "endpoints to load (comma-separated; `secoda-workbench endpoints` lists them)")
	fl.StringVar(&dest, "destination", "duckdb", "destination: duckdb (a file here), postgres (a database server) or filesystem (Parquet files)")
	fl.StringVar(&destURL, "destination-url", "", "postgres only: the database, postgres://USER@HOST:PORT/DATABASE (never with a password)")
	fl.StringVar(&bucketURL, "bucket-url", "", "filesystem only: where the Parquet files go, s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or a local folder")
	fl.StringVar(&dataset, "dataset", pipeline.DefaultDatasetName, "dataset (schema) name")
	fl.StringVar(&url, "base-url", "", "Secoda API: a region (us, eu, apac), your domain or a URL; default US")
	fl.BoolVar(&force, "force", false, "overwrite an existing secoda_pipeline.toml")
	return cmd
}

// writeConfigFile writes the config at path (secoda_pipeline.toml in its project
// folder), refusing to overwrite one without force; pipeline.WriteConfig keeps it
// inside the project.
func writeConfigFile(path, text string, force bool) error {
	err := pipeline.WriteConfig(filepath.Dir(path), text, force)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: pass --force to replace it (your edits would be lost), or edit it by hand", path)
	}
	return err
}

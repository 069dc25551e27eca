package tools

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// TestReadingToolsOnPostgresAndParquet: the tools that read the dataset work the same
// on a PostgreSQL destination (its password from the environment, never in a result),
// on Parquet files, and on Parquet files in an S3 bucket.
func TestReadingToolsOnPostgresAndParquet(t *testing.T) {
	for _, kind := range []string{"postgres", "filesystem", "s3"} {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, simulator.Options{Seed: 41})
			section, password := f.destination(t, kind)
			f.config(t, section+"[resources.collection]\n[resources.document]\n")
			if res := call(t, RunPipeline(f.d), nil); res.IsError {
				t.Fatalf("run_pipeline: %s", text(res))
			}
			var all strings.Builder

			var q QueryResult
			res := call(t, QueryDataset(f.d), map[string]any{"sql": "select count(*) as n from collection__owners o join collection c on o._dlt_parent_id = c._dlt_id"})
			structured(t, res, &q)
			all.WriteString(text(res))
			if q.RowCount != 1 || fmt.Sprint(q.Rows[0]["n"]) == "0" {
				t.Fatalf("query_dataset: %+v", q)
			}
			wantError(t, call(t, QueryDataset(f.d), map[string]any{"sql": "delete from collection"}), "only a query")

			res = call(t, PreviewTable(f.d), map[string]any{"table": "document", "limit": 3})
			structured(t, res, &q)
			all.WriteString(text(res))
			if q.RowCount != 3 || !q.Truncated {
				t.Fatalf("preview_table: %+v", q)
			}

			var schema GetTableSchemaOut
			res = call(t, GetTableSchema(f.d), map[string]any{"table": "collection"})
			structured(t, res, &schema)
			types := map[string]string{}
			for _, c := range schema.Columns {
				types[c.Name] = c.DBType
			}
			wantTS := map[string]string{"postgres": "timestamp with time zone", "filesystem": "TIMESTAMP WITH TIME ZONE", "s3": "TIMESTAMP WITH TIME ZONE"}[kind]
			if types["updated_at"] != wantTS || len(schema.Children) == 0 {
				t.Fatalf("get_table_schema: updated_at is %q (want %q), children %v", types["updated_at"], wantTS, schema.Children)
			}

			var tables ListTablesOut
			structured(t, call(t, ListTables(f.d), nil), &tables)
			found := false
			for _, tb := range tables.Tables {
				found = found || (tb.Name == "collection" && tb.Rows > 0 && tb.Columns > 5)
			}
			if !found {
				t.Fatalf("list_tables: %+v", tables)
			}

			var status PipelineStatusOut
			structured(t, call(t, PipelineStatus(f.d), nil), &status)
			if !status.Loaded || len(status.Loads) != 1 || !strings.HasPrefix(status.Destination, strings.Replace(kind, "s3", "filesystem:s3", 1)+":") {
				t.Fatalf("pipeline_status: %+v", status)
			}

			var creds InspectCredentialsOut
			res = call(t, InspectCredentials(f.d), nil)
			structured(t, res, &creds)
			all.WriteString(text(res))
			switch {
			case kind == "postgres":
				if creds.Destination == nil || !creds.Destination.Found || !creds.Destination.Connected || creds.Destination.Source != secrets.FromEnv {
					t.Fatalf("inspect_credentials: %+v", creds.Destination)
				}
			case kind == "s3":
				if creds.Destination == nil || !creds.Destination.Found || !creds.Destination.Connected || !strings.HasPrefix(creds.Destination.Credentials, "AWS key ") ||
					!strings.Contains(text(res), "A test object was written, read and deleted") {
					t.Fatalf("inspect_credentials: %+v\n%s", creds.Destination, text(res))
				}
			case creds.Destination != nil:
				t.Fatalf("a filesystem destination has no password, yet: %+v", creds.Destination)
			}
			if password != "" && strings.Contains(all.String(), password) {
				t.Fatal("the password is in a result")
			}
		})
	}
}

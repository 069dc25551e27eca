package tools

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// TestPreviewIsTheRunsFirstPage: past the cap, preview_endpoint shows the first page of
// data a run reads (of its first partition, named), and on a PostgreSQL destination the
// tables and columns under the names a run shortens them to.
func TestPreviewIsTheRunsFirstPage(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 6, Size: simulator.Medium})
	long := "resources_of_the_data_governance_team_kept_for_the_audit_trail"
	f.config(t, "[resources."+long+"]\nendpoint = \"resource_catalog\"\n")
	cfg := "[destination]\ntype = \"postgres\"\nurl = \"postgres://loader@127.0.0.1:5432/analytics\"\n\n"
	b, _ := os.ReadFile(filepath.Join(f.d.Dir, pipeline.ConfigFileName))
	os.WriteFile(filepath.Join(f.d.Dir, pipeline.ConfigFileName), append([]byte(cfg), b...), 0o644)
	var out PreviewEndpointOut
	res := call(t, PreviewEndpoint(f.d), map[string]any{"endpoint": long, "limit": 3})
	structured(t, res, &out)
	if out.Partition == "" || !strings.Contains(out.Partition, "entity_type") || !strings.Contains(text(res), "past Secoda's 10,000-resource cap") {
		t.Fatalf("the preview of a capped list names no partition: %+v\n%s", out, text(res))
	}
	if out.PageRecords != 50 || len(out.Records) != 3 || out.Count >= f.sim.Workspace().CatalogSize() {
		t.Fatalf("%+v", out)
	}
	for _, tb := range out.Tables {
		if len(tb.Name) > 63 {
			t.Errorf("table %s: %d bytes, longer than PostgreSQL takes", tb.Name, len(tb.Name))
		}
		if want := normalize.Path(63, strings.Split(tb.Name, "__")...); tb.Parent != "" && len(tb.Name) > 63 {
			t.Errorf("%s is not shortened (%s)", tb.Name, want)
		}
	}
	if out.Tables[0].Name != normalize.Identifier(long, 63) {
		t.Fatalf("the root table %s, a run names it %s", out.Tables[0].Name, normalize.Identifier(long, 63))
	}
	// Nothing was written: no dataset, no work folder.
	if _, err := os.Stat(filepath.Join(f.d.Dir, pipeline.WorkDirName)); !os.IsNotExist(err) {
		t.Fatalf("the preview made the work folder: %v", err)
	}
}

// TestAnIncompleteLoadSaysSo: run_pipeline's result is incomplete, naming the partition
// and what the user can do, and pipeline_status says it too.
func TestAnIncompleteLoadSaysSo(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 7, Size: simulator.Medium, CatalogCap: 500})
	f.config(t, "[resources.resource_catalog]\n")
	b, _ := os.ReadFile(filepath.Join(f.d.Dir, pipeline.ConfigFileName))
	os.WriteFile(filepath.Join(f.d.Dir, pipeline.ConfigFileName), []byte(strings.Replace(string(b), "rate_limit = 0\n", "rate_limit = 0\ncatalog_cap = 500\n", 1)), 0o644)
	var out RunPipelineOut
	res := call(t, RunPipeline(f.d), nil)
	structured(t, res, &out)
	if out.Status != "incomplete" || len(out.Incomplete) != 1 || out.Incomplete[0].Read != 1000 || !strings.Contains(out.Next, "INCOMPLETE") ||
		!strings.Contains(text(res), "is INCOMPLETE") || strings.Contains(text(res), "no failed jobs") {
		t.Fatalf("%+v\n%s", out, text(res))
	}
	if out.Resources[0].Partitions < 3 || out.Resources[0].PlanPages == 0 {
		t.Fatalf("resources: %+v", out.Resources)
	}
	var st PipelineStatusOut
	res = call(t, PipelineStatus(f.d), nil)
	structured(t, res, &st)
	if len(st.Incomplete["resource_catalog"]) != 1 || st.Partitions["resource_catalog"] != out.Resources[0].Partitions ||
		!strings.Contains(text(res), "INCOMPLETE: resource_catalog has 1 partition(s)") || !strings.Contains(st.Next, "incomplete") {
		t.Fatalf("%+v\n%s", st, text(res))
	}
}

// TestAnInterruptedRunShowsInPipelineStatus: a cancelled run_pipeline leaves its pages;
// pipeline_status shows the unfinished run and how to go on; restart: true discards it.
func TestAnInterruptedRunShowsInPipelineStatus(t *testing.T) {
	f := newFixture(t, simulator.Options{Seed: 8, Size: simulator.Medium})
	f.config(t, "[resources.resource_catalog]\n")
	plan, err := pipeline.LoadProject(f.d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pages := 0
	_, err = pipeline.Run(ctx, plan, pipeline.RunOptions{APIKey: f.key, BaseURL: f.env["SECODA_API_URL"], Progress: func(p pipeline.Progress) {
		if p.Retry == nil {
			if pages++; pages == 20 {
				cancel()
			}
		}
	}})
	if err == nil {
		t.Fatal("the run was not interrupted")
	}
	var st PipelineStatusOut
	res := call(t, PipelineStatus(f.d), nil)
	structured(t, res, &st)
	if st.Unfinished == nil || st.Unfinished.Running || st.Loaded || !strings.Contains(st.Next, "goes on from the last page") ||
		len(st.Unfinished.Resources) != 1 || st.Unfinished.Resources[0].Pages == 0 || !strings.Contains(text(res), "Unfinished run") {
		t.Fatalf("%+v\n%s", st, text(res))
	}
	var out RunPipelineOut
	structured(t, call(t, RunPipeline(f.d), map[string]any{"restart": true}), &out)
	if out.Resumed || out.Status != "loaded" {
		t.Fatalf("restart: %+v", out)
	}
	st = PipelineStatusOut{}
	structured(t, call(t, PipelineStatus(f.d), nil), &st)
	if st.Unfinished != nil {
		t.Fatalf("after the load: %+v", st.Unfinished)
	}
}

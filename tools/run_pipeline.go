package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
)

// RunPipelineIn is run_pipeline's input.
type RunPipelineIn struct {
	Resources   []string `json:"resources,omitempty" jsonschema:"load only these resources of secoda_pipeline.toml (default: all)"`
	MaxPages    int      `json:"max_pages,omitempty" jsonschema:"stop each resource after this many pages: develop with 1 or 2, then run in full (incremental cursors do not move); 0 or absent for no limit, at most 1000000"`
	FullRefresh bool     `json:"full_refresh,omitempty" jsonschema:"drop the selected resources' tables and state first, then load from scratch"`
	Restart     bool     `json:"restart,omitempty" jsonschema:"discard what an interrupted run had read (pipeline_status shows one) instead of going on from it"`
}

// Bounds of a run's result: a source whose records grow thousands of columns or child
// tables in one run gets the first of them named, and the counts.
const (
	MaxTablesListed      = 200
	MaxNewColumnsListed  = 20
	maxCollisionsPerList = 20
)

// TableLoad is one table's part of a run.
type TableLoad struct {
	Name           string   `json:"name"`
	Rows           int64    `json:"rows" jsonschema:"rows loaded by this run"`
	NewTable       bool     `json:"new_table,omitempty"`
	NewColumns     []string `json:"new_columns,omitempty" jsonschema:"the first 20 columns this run added; new_column_count counts them all"`
	NewColumnCount int      `json:"new_column_count,omitempty"`
	VariantColumns []string `json:"variant_columns,omitempty" jsonschema:"<column>__v_<type> columns (the first 20): values whose type did not fit their column"`
}

// ResourceLoad is one resource's part of a run.
type ResourceLoad struct {
	Name        string `json:"name"`
	Pages       int    `json:"pages" jsonschema:"pages of records read"`
	PlanPages   int    `json:"plan_pages,omitempty" jsonschema:"pages read to split the list into partitions past Secoda's cap"`
	Partitions  int    `json:"partitions,omitempty" jsonschema:"the queries the list was read in (more than 1 past Secoda's cap)"`
	Records     int64  `json:"records"`
	Skipped     int64  `json:"skipped" jsonschema:"records at or before the incremental cursor: already loaded"`
	Truncated   bool   `json:"truncated" jsonschema:"stopped by max_pages"`
	Unchanged   bool   `json:"unchanged,omitempty"`
	CursorAfter string `json:"cursor,omitempty"`
	// Collisions are fields of one record that became one column: the last one's value
	// was kept, as dlt keeps it.
	Collisions []normalize.Collision `json:"collisions,omitempty" jsonschema:"fields of one record whose names became one column (Foo and foo): the last value was kept and the others counted as dropped"`
}

// RunPipelineOut is run_pipeline's result.
type RunPipelineOut struct {
	Status          string                 `json:"status" jsonschema:"loaded, unchanged (nothing new), or incomplete (loaded, but partitions that could not be read whole: see incomplete)"`
	Loaded          bool                   `json:"loaded" jsonschema:"false when there was nothing new to load"`
	LoadID          string                 `json:"load_id"`
	DurationSeconds float64                `json:"duration_seconds"`
	Tables          []TableLoad            `json:"tables"`
	TablesListed    string                 `json:"tables_listed,omitempty" jsonschema:"set when more tables changed than the 200 listed"`
	Resources       []ResourceLoad         `json:"resources"`
	Requests        int64                  `json:"requests"`
	Retries         int64                  `json:"retries"`
	RateLimited     int64                  `json:"rate_limited" jsonschema:"answers 429 met (each waited out)"`
	Incomplete      []partition.Incomplete `json:"incomplete,omitempty" jsonschema:"partitions no filter got under Secoda's cap: what could be read was loaded; each says what the user can do"`
	Resumed         bool                   `json:"resumed,omitempty" jsonschema:"the run went on from an interrupted run's pages"`
	Notes           []string               `json:"notes,omitempty"`
	Next            string                 `json:"next"`
}

// RunPipeline loads the configured resources into the dataset.
func RunPipeline(d *Deps) Tool {
	h := Hints{ReadOnly: no(), Destructive: yes(), Idempotent: no(), OpenWorld: yes()}
	return Tool{
		Hints: h,
		Def: define[RunPipelineIn, RunPipelineOut]("run_pipeline",
			"Load the resources of secoda_pipeline.toml from Secoda into the dataset, in one transaction: nothing is loaded unless "+
				"everything is. Incremental where a cursor is configured. Sends progress notifications (pages, rows, retries) when "+
				"the call has a progress token; a cancelled call loads nothing, and what it read is kept: the next call goes on from "+
				"there (restart: true discards it). Lists past Secoda's 10,000-resource cap are split into partitions by themselves; "+
				"a result with status incomplete names what could not be read. Develop with max_pages, then run in full. On failure "+
				"the result says why and what to do (a rejected key: ask the user to run `secoda-workbench secrets set`). It sends no "+
				"[notify] message: those are for scheduled runs (`secoda-workbench deploy`).", h),
		Handler: handle(func(ctx context.Context, req mcp.CallToolRequest, in RunPipelineIn) (RunPipelineOut, string, error) {
			if err := pipeline.LimitMaxPages.CheckNumber("max_pages", in.MaxPages); err != nil {
				return RunPipelineOut{}, "", err
			}
			plan, err := d.plan()
			if err != nil {
				return RunPipelineOut{}, "", err
			}
			base, found, err := d.connect(ctx, plan.BaseURL)
			if err != nil {
				return RunPipelineOut{}, "", err
			}
			password, err := d.destinationPassword(ctx, plan)
			if err != nil {
				return RunPipelineOut{}, "", err
			}
			prog := newProgress(ctx, req)
			info, err := pipeline.Run(ctx, plan, pipeline.RunOptions{
				APIKey: found.Key.Reveal(), BaseURL: base, Resources: in.Resources, MaxPages: in.MaxPages,
				FullRefresh: in.FullRefresh, Restart: in.Restart, Progress: prog.update, HTTPClient: d.HTTPClient, Logger: d.Logger,
				DestinationPassword: password,
				// [notify] is for the runs nobody watches; the agent and its user see this one's outcome.
				NoNotify: true,
			})
			prog.done()
			if errors.Is(err, context.Canceled) {
				return RunPipelineOut{}, "", err // the client cancelled: a protocol matter
			}
			if err != nil {
				return RunPipelineOut{}, "", err
			}
			out := runOut(info)
			return out, info.String() + "Next: " + out.Next + "\n", nil
		}),
	}
}

func runOut(info *pipeline.LoadInfo) RunPipelineOut {
	out := RunPipelineOut{Status: info.Status(), Loaded: info.Loaded, LoadID: info.LoadID, DurationSeconds: info.Duration.Seconds(),
		Requests: info.Requests, Retries: info.Retries, RateLimited: info.RateLimited, Notes: info.Notes, Tables: []TableLoad{},
		Resources: []ResourceLoad{}, Incomplete: info.Incomplete(), Resumed: info.Resumed}
	truncated := false
	for i, t := range info.Tables {
		if i == MaxTablesListed {
			out.TablesListed = fmt.Sprintf("the first %d of %d tables; list_tables lists them all", MaxTablesListed, len(info.Tables))
			break
		}
		out.Tables = append(out.Tables, TableLoad{Name: t.Name, Rows: t.Rows, NewTable: t.NewTable,
			NewColumns: t.NewColumns[:min(len(t.NewColumns), MaxNewColumnsListed)], NewColumnCount: len(t.NewColumns),
			VariantColumns: t.VariantColumns[:min(len(t.VariantColumns), MaxNewColumnsListed)]})
	}
	for _, r := range info.Resources {
		out.Resources = append(out.Resources, ResourceLoad{Name: r.Name, Pages: r.Pages, PlanPages: r.PlanPages, Partitions: r.Partitions,
			Records: r.Records, Skipped: r.Skipped, Truncated: r.Truncated, Unchanged: r.Unchanged, CursorAfter: r.CursorAfter,
			Collisions: r.Collisions[:min(len(r.Collisions), maxCollisionsPerList)]})
		truncated = truncated || r.Truncated
	}
	switch {
	case len(out.Incomplete) > 0:
		out.Next = "The load is INCOMPLETE: tell the user which partitions could not be read whole and what they can do (each " +
			"incomplete entry says); the rest is loaded and can be queried with query_dataset."
	case truncated:
		out.Next = "Check the data (list_tables, preview_table, query_dataset); then run_pipeline without max_pages to load in full."
	case !info.Loaded:
		out.Next = "Nothing new in Secoda since the last load; query the dataset with query_dataset."
	default:
		out.Next = "Query the data: list_tables, get_table_schema, query_dataset."
	}
	return out
}

// progress sends MCP progress notifications for a call that asked for them (it gave a
// progress token), at most a few a second.
type progress struct {
	ctx   context.Context
	srv   *server.MCPServer
	token mcp.ProgressToken
	mu    sync.Mutex
	last  time.Time
	pages map[string]int
	rows  map[string]int64
	retry int
	n     float64
}

func newProgress(ctx context.Context, req mcp.CallToolRequest) *progress {
	p := &progress{ctx: ctx, pages: map[string]int{}, rows: map[string]int64{}}
	if req.Params.Meta != nil && req.Params.Meta.ProgressToken != nil {
		p.token = req.Params.Meta.ProgressToken
		p.srv = server.ServerFromContext(ctx)
	}
	return p
}

func (p *progress) update(ev pipeline.Progress) {
	if p.srv == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Retry != nil {
		p.retry++
	} else {
		p.pages[ev.Resource] = ev.Pages
		if ev.Rows >= 0 {
			p.rows[ev.Resource] = ev.Rows
		}
	}
	if time.Since(p.last) < 250*time.Millisecond && !ev.Done {
		return
	}
	p.send()
}

// send notifies the client; the caller holds p.mu.
func (p *progress) send() {
	p.last = time.Now()
	var pages int
	var rows int64
	var parts []string
	for r, n := range p.pages {
		pages += n
		parts = append(parts, fmt.Sprintf("%s %d pages", r, n))
	}
	for _, n := range p.rows {
		rows += n
	}
	p.n++ // progress must increase with every notification
	msg := fmt.Sprintf("%d pages, %d rows, %d retries (%s)", pages, rows, p.retry, strings.Join(parts, ", "))
	_ = p.srv.SendNotificationToClient(p.ctx, "notifications/progress", map[string]any{
		"progressToken": p.token, "progress": p.n, "message": msg,
	})
}

func (p *progress) done() {
	if p.srv == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.send()
}

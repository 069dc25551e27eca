package pipeline

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// PreviewResult is the first page of a resource as a run reads it, normalized in memory.
type PreviewResult struct {
	// Records are what was normalized, in order: the page's records, or for
	// resource_detail the listed resources fetched whole.
	Records []json.RawMessage
	// Path, Count, TotalPages and PageRecords describe the page read.
	Path        string
	Count       int
	TotalPages  int
	PageRecords int
	// Partition is the label of the partition the page is of, when the list is past
	// Secoda's cap and a run reads it in partitions.
	Partition string
	PlanPages int // pages read to find that partition
	Schema    *normalize.Schema
	Stats     normalize.Stats
}

// Preview reads the first page of data of a resource through the run's own path (its
// partitions past the cap, its detail fetches, its names shortened for the plan's
// destination), normalizes it in memory, and loads nothing: it writes no file and reads
// no state. For resource_detail, at most details resources are fetched whole. plan may
// be nil (no config yet): DuckDB's names, the default settings.
func Preview(ctx context.Context, plan *Plan, r Resource, client *secoda.Client, details int) (*PreviewResult, error) {
	if plan == nil {
		plan = &Plan{PipelineName: DefaultPipelineName, DatasetName: DefaultDatasetName, DestinationType: dest.DuckDB,
			Concurrency: DefaultConcurrency, DetailConcurrency: DefaultDetailConcurrency, CatalogCap: partition.DefaultCap}
	}
	out := &PreviewResult{}
	pk := &peeker{details: details, out: out}
	ex := &extractor{plan: plan, opts: RunOptions{MaxPages: 1}, client: client, base: normalize.NewSchema(), state: newState(plan),
		pkg: discard{}, loadID: "preview", peek: pk}
	res, err := ex.resource(ctx, r, nil)
	if err != nil {
		return nil, err
	}
	if !pk.seen {
		return nil, fmt.Errorf("%s answered no page", r.Endpoint.Path)
	}
	out.Schema, out.Stats, out.PlanPages = res.schema, res.stats, res.info.PlanPages
	return out, nil
}

// peeker keeps what a preview shows.
type peeker struct {
	details int // resource_detail fetches at most this many
	seen    bool
	out     *PreviewResult
}

func (p *peeker) page(it *partition.Item) {
	if p.seen {
		return
	}
	p.seen = true
	pg := it.Page
	p.out.Path, p.out.Count, p.out.TotalPages, p.out.PageRecords = pg.Path, pg.Count, pg.TotalPages, len(pg.Records)
	if it.Progress.Partitions > 1 || it.Progress.PlanPages > 0 {
		p.out.Partition = it.Label
	}
}

func (p *peeker) record(raw json.RawMessage) { p.out.Records = append(p.out.Records, raw) }

// discard is a spool that keeps nothing.
type discard struct{}

func (discard) Row(*normalize.Table, []normalize.Cell) error { return nil }
func (discard) Commit(string, any) error                     { return nil }

package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// Bounds of preview_endpoint.
const (
	DefaultPreviewRecords = 5
	MaxPreviewRecords     = 50
	// MaxRecordChars cuts each record shown; the tables and columns still cover it whole.
	MaxRecordChars = 1500
	// MaxColumnsListed bounds the columns listed for one table.
	MaxColumnsListed = 500
)

// PreviewEndpointIn is preview_endpoint's input.
type PreviewEndpointIn struct {
	Endpoint string `json:"endpoint" jsonschema:"a resource of secoda_pipeline.toml (its filter, sort and params apply) or an endpoint of the catalog (list_endpoints)"`
	Limit    int    `json:"limit,omitempty" jsonschema:"how many records to show (default 5, at most 50); the tables cover the whole first page"`
}

// ColumnInfo is one column of a table.
type ColumnInfo struct {
	Name      string `json:"name"`
	DataType  string `json:"data_type" jsonschema:"dlt's type: text, bigint, double, bool, timestamp or json"`
	DBType    string `json:"db_type,omitempty" jsonschema:"the column's type in the destination's database (DuckDB or PostgreSQL)"`
	Nullable  bool   `json:"nullable"`
	Variant   bool   `json:"variant,omitempty" jsonschema:"a <column>__v_<type> column: values whose type did not fit the column beside it"`
	VariantOf string `json:"variant_of,omitempty" jsonschema:"the column a variant column stands beside"`
}

// PageTable is a table a previewed page would load into.
type PageTable struct {
	Name             string       `json:"name"`
	Parent           string       `json:"parent,omitempty" jsonschema:"the table a child table's rows hang from (child._dlt_parent_id = parent._dlt_id)"`
	Rows             int64        `json:"rows" jsonschema:"rows the previewed records make in it"`
	Columns          []ColumnInfo `json:"columns"`
	ColumnsTruncated bool         `json:"columns_truncated,omitempty" jsonschema:"more columns than listed (500)"`
}

// PreviewEndpointOut is preview_endpoint's result.
type PreviewEndpointOut struct {
	Endpoint    string      `json:"endpoint" jsonschema:"the catalog endpoint read"`
	Resource    string      `json:"resource" jsonschema:"the root table its records load into"`
	Configured  bool        `json:"configured" jsonschema:"a resource of secoda_pipeline.toml, read with its filter, sort and params"`
	ListedFrom  string      `json:"listed_from,omitempty" jsonschema:"for resource_detail: the list whose first page gave the ids, each record fetched whole"`
	Path        string      `json:"path" jsonschema:"the page's URL path and query"`
	PageRecords int         `json:"page_records" jsonschema:"records on the first page"`
	Count       int         `json:"count" jsonschema:"records in all, as the server says; -1 when it does not"`
	TotalPages  int         `json:"total_pages" jsonschema:"pages in all, as the server says; -1 when it does not"`
	Partition   string      `json:"partition,omitempty" jsonschema:"the list is past Secoda's 10,000-resource cap: a run reads it in partitions, and this page is of this one"`
	Records     []string    `json:"records" jsonschema:"the first records, each as compact JSON cut at 1500 characters"`
	Truncated   bool        `json:"truncated" jsonschema:"the page has more records than shown"`
	More        string      `json:"more,omitempty" jsonschema:"how to see more, when truncated"`
	Normalized  int         `json:"normalized" jsonschema:"records the tables below were worked out from"`
	Tables      []PageTable `json:"tables" jsonschema:"the tables and columns these records would load into (dlt's layout), root first"`
	Next        string      `json:"next"`
}

// PreviewEndpoint reads the first page of an endpoint and shows what it would load.
func PreviewEndpoint(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: yes()}
	return Tool{
		Hints: h,
		Def: define[PreviewEndpointIn, PreviewEndpointOut]("preview_endpoint",
			"Read the first page of a Secoda endpoint (one request; resource_detail: the catalog's first page and one request per "+
				"record shown) and show its first records and the tables and columns the page would load into: the child tables "+
				"of lists, the types, the variant columns. Loads nothing and touches neither the dataset nor the pipeline state. "+
				"Use it to check a resource's filter before run_pipeline.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in PreviewEndpointIn) (PreviewEndpointOut, string, error) {
			limit := in.Limit
			switch {
			case limit == 0:
				limit = DefaultPreviewRecords
			case limit < 0 || limit > MaxPreviewRecords:
				return PreviewEndpointOut{}, "", fmt.Errorf("limit %d: give 1 to %d (the tables cover the whole first page whatever the limit)", in.Limit, MaxPreviewRecords)
			}
			plan, r, configured, err := previewResource(d, in.Endpoint)
			if err != nil {
				return PreviewEndpointOut{}, "", err
			}
			configuredURL, rate := "", -1.0 // no config: no pacing for one page
			if plan != nil {
				configuredURL, rate = plan.BaseURL, plan.RequestsPerMinute
			}
			base, found, err := d.connect(ctx, configuredURL)
			if err != nil {
				return PreviewEndpointOut{}, "", err
			}
			c, err := secoda.New(secoda.Config{BaseURL: base, APIKey: found.Key.Reveal(), RequestsPerMinute: rate, MaxAttempts: 2,
				HTTPClient: d.HTTPClient, Logger: d.Logger})
			if err != nil {
				return PreviewEndpointOut{}, "", err
			}
			out := PreviewEndpointOut{Endpoint: r.Endpoint.Name, Resource: r.Name, Configured: configured, ListedFrom: r.Endpoint.Parent,
				Records: []string{}, Tables: []PageTable{}}
			p, err := pipeline.Preview(ctx, plan, r, c, limit)
			if err != nil {
				return PreviewEndpointOut{}, "", err
			}
			out.Path, out.Count, out.TotalPages, out.PageRecords, out.Partition = p.Path, p.Count, p.TotalPages, p.PageRecords, p.Partition
			for _, raw := range p.Records[:min(limit, len(p.Records))] {
				out.Records = append(out.Records, compactRecord(raw))
			}
			if out.PageRecords > len(out.Records) {
				out.Truncated = true
				out.More = fmt.Sprintf("raise limit (at most %d) to see more of this page; run_pipeline with max_pages: 1 loads it, and query_dataset reads it", MaxPreviewRecords)
			}
			out.Tables = previewTables(p.Schema, p.Stats)
			out.Normalized = len(p.Records)
			switch {
			case configured:
				out.Next = "Load it with run_pipeline (max_pages: 1 first); change its filter, sort or params in " + pipeline.ConfigFileName + " and preview again."
			case plan != nil:
				out.Next = fmt.Sprintf("%s is not in %s: add it (scaffold_config with overwrite: true and every resource, or by hand), then run_pipeline.", r.Name, pipeline.ConfigFileName)
			default:
				out.Next = fmt.Sprintf("Write the config with scaffold_config (resources: [%q, ...]), then run_pipeline with max_pages: 1.", r.Name)
			}
			return out, previewText(out), nil
		}),
	}
}

// previewResource resolves the endpoint argument: a resource of the config first, then
// an endpoint of the catalog. plan is nil when there is no config.
func previewResource(d *Deps, name string) (*pipeline.Plan, pipeline.Resource, bool, error) {
	plan, err := d.plan()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		plan = nil
	case err != nil:
		return nil, pipeline.Resource{}, false, withConfigStep(err)
	}
	var configured []string
	if plan != nil {
		if r, ok := plan.Resource(name); ok {
			return plan, r, true, nil
		}
		for _, r := range plan.Resources {
			configured = append(configured, r.Name)
		}
	}
	if e, ok := secoda.LookupEndpoint(name); ok {
		return plan, pipeline.Resource{Name: e.Name, Endpoint: e, Disposition: e.Disposition, PrimaryKey: e.PrimaryKey, Cursor: e.Cursor,
			Contract: normalize.EvolveAll, MaxNesting: normalize.DefaultMaxNesting}, false, nil
	}
	msg := fmt.Sprintf("unknown endpoint %s", shown(name))
	if s := secoda.Suggest(name, append(slices.Clone(configured), secoda.EndpointNames()...)); s != "" {
		msg += fmt.Sprintf(": did you mean %s?", s)
	}
	if len(configured) > 0 {
		msg += fmt.Sprintf(" The resources of %s are %s;", pipeline.ConfigFileName, strings.Join(configured, ", "))
	}
	return nil, pipeline.Resource{}, false, errors.New(msg + " list_endpoints lists the endpoints of the catalog")
}

// previewTables lists the tables and columns the previewed records make, root first.
func previewTables(schema *normalize.Schema, stats normalize.Stats) []PageTable {
	out := []PageTable{}
	for _, name := range schema.TableNames() {
		t := schema.Tables[name]
		pt := PageTable{Name: name, Parent: t.Parent, Rows: stats.Rows[name], Columns: []ColumnInfo{}}
		for i, c := range t.Columns {
			if i == MaxColumnsListed {
				pt.ColumnsTruncated = true
				break
			}
			pt.Columns = append(pt.Columns, ColumnInfo{Name: c.Name, DataType: string(c.Type), Nullable: c.Nullable, Variant: c.Variant, VariantOf: c.VariantOf})
		}
		out = append(out, pt)
	}
	return out
}

// compactRecord is a record as one line of JSON, cut at MaxRecordChars.
func compactRecord(raw json.RawMessage) string {
	var b bytes.Buffer
	s := string(raw)
	if json.Compact(&b, raw) == nil {
		s = b.String()
	}
	return cutText(s, MaxRecordChars)
}

// cutText cuts s to at most n bytes, the mark of the cut included, on a rune boundary.
func cutText(s string, n int) string {
	const mark = "…"
	if len(s) <= n {
		return s
	}
	cut := max(n-len(mark), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

func previewText(out PreviewEndpointOut) string {
	var b strings.Builder
	src := "the catalog's defaults"
	if out.Configured {
		src = "its settings in " + pipeline.ConfigFileName
	}
	fmt.Fprintf(&b, "%s (%s, %s): ", out.Resource, out.Endpoint, src)
	if out.ListedFrom != "" {
		fmt.Fprintf(&b, "it fetches each record of %s whole; ", out.ListedFrom)
	}
	if out.Partition != "" {
		fmt.Fprintf(&b, "the list is past Secoda's 10,000-resource cap, so a run reads it in partitions, the first %s; ", out.Partition)
	}
	fmt.Fprintf(&b, "the first page, GET %s, has %d records", out.Path, out.PageRecords)
	if out.Count >= 0 {
		fmt.Fprintf(&b, " of %d", out.Count)
	}
	if out.TotalPages >= 0 {
		fmt.Fprintf(&b, " (%d pages)", out.TotalPages)
	}
	if out.ListedFrom != "" {
		fmt.Fprintf(&b, ".\n\nThe first %d, fetched whole:\n", len(out.Records))
	} else {
		fmt.Fprintf(&b, ".\n\nThe first %d records:\n", len(out.Records))
	}
	for _, r := range out.Records {
		b.WriteString(r + "\n")
	}
	if out.Truncated {
		b.WriteString("(" + out.More + ")\n")
	}
	fmt.Fprintf(&b, "\nTables these %d records would load into:\n", out.Normalized)
	for _, t := range out.Tables {
		fmt.Fprintf(&b, "- %s (%d rows", t.Name, t.Rows)
		if t.Parent != "" {
			fmt.Fprintf(&b, ", child of %s", t.Parent)
		}
		b.WriteString("): ")
		cols := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = c.Name + " " + c.DataType
			if c.Variant {
				cols[i] += " (variant of " + c.VariantOf + ")"
			}
		}
		b.WriteString(strings.Join(cols, ", "))
		if t.ColumnsTruncated {
			b.WriteString(", …")
		}
		b.WriteString("\n")
	}
	b.WriteString("\nNothing was loaded. Next: " + out.Next + "\n")
	return b.String()
}

package pipeline

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline/loadpkg"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
)

// LoadInfo is what a run did, printed as dlt prints it.
type LoadInfo struct {
	PipelineName    string         `json:"pipeline_name"`
	DatasetName     string         `json:"dataset_name"`
	DestinationType string         `json:"destination_type"`
	Location        string         `json:"location"`
	LoadID          string         `json:"load_id"`
	Loaded          bool           `json:"loaded"` // false when there was nothing new to load
	StartedAt       time.Time      `json:"started_at"`
	Duration        time.Duration  `json:"duration_ns"`
	ExtractDuration time.Duration  `json:"extract_duration_ns"`
	LoadDuration    time.Duration  `json:"load_duration_ns"`
	Resources       []ResourceInfo `json:"resources"`
	Tables          []TableInfo    `json:"tables"`
	Requests        int64          `json:"requests"`
	Retries         int64          `json:"retries"`
	RateLimited     int64          `json:"rate_limited"`
	ServerErrors    int64          `json:"server_errors"`
	// Resumed is true when the run went on from an interrupted run's spooled pages.
	Resumed bool     `json:"resumed,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

// Incomplete lists the partitions the run knew it could not read whole; a run with
// any is incomplete, whatever it loaded.
func (li *LoadInfo) Incomplete() []partition.Incomplete {
	var out []partition.Incomplete
	for _, r := range li.Resources {
		out = append(out, r.Incomplete...)
	}
	return out
}

// DataPages and PlanPages are the pages read for data and the pages read to plan
// partitions (capped or empty queries), over every resource.
func (li *LoadInfo) DataPages() (data, plan int) {
	for _, r := range li.Resources {
		data += r.Pages
		plan += r.PlanPages
	}
	return data, plan
}

// MarshalJSON adds what is derived: incomplete, and the pages read for data and to plan.
func (li *LoadInfo) MarshalJSON() ([]byte, error) {
	type plain LoadInfo
	data, plan := li.DataPages()
	inc := li.Incomplete()
	return json.Marshal(struct {
		*plain
		Status     string                 `json:"status"`
		DataPages  int                    `json:"data_pages"`
		PlanPages  int                    `json:"plan_pages"`
		Incomplete []partition.Incomplete `json:"incomplete"`
	}{(*plain)(li), li.Status(), data, plan, orEmpty(inc)})
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// Status is the run's outcome in a word: loaded, incomplete (loaded, but partitions it
// could not read whole), or unchanged (nothing new to load).
func (li *LoadInfo) Status() string {
	switch {
	case len(li.Incomplete()) > 0:
		return "incomplete"
	case li.Loaded:
		return "loaded"
	}
	return "unchanged"
}

// ResourceInfo is one resource's part of a run.
type ResourceInfo struct {
	Name         string `json:"name"`
	Endpoint     string `json:"endpoint"`
	Pages        int    `json:"pages"`
	Records      int64  `json:"records"`
	Skipped      int64  `json:"skipped"`   // at or before the incremental cursor
	Missing      int64  `json:"missing"`   // resource_detail ids gone before they were fetched
	Truncated    bool   `json:"truncated"` // stopped by --max-pages
	Unchanged    bool   `json:"unchanged"` // same records as last time: not loaded again
	CursorBefore string `json:"cursor_before,omitempty"`
	CursorAfter  string `json:"cursor_after,omitempty"`
	// PlanPages are the pages read to plan partitions (capped or empty queries); Pages
	// the pages of records. Partitions is how many queries the list was read in.
	PlanPages  int `json:"plan_pages"`
	Partitions int `json:"partitions"`
	// Incomplete are the partitions that no filter got under Secoda's cap and that
	// could not be read whole: what could be read was loaded.
	Incomplete []partition.Incomplete `json:"incomplete,omitempty"`
	Resumed    bool                   `json:"resumed,omitempty"`
	// Collisions are fields of one record that become one column: the last field's
	// value was kept, as dlt keeps it, and the others dropped (and counted here).
	Collisions []normalize.Collision `json:"collisions,omitempty"`
}

// TableInfo is one table's part of a run.
type TableInfo struct {
	Name           string   `json:"name"`
	Rows           int64    `json:"rows"`
	NewTable       bool     `json:"new_table,omitempty"`
	NewColumns     []string `json:"new_columns,omitempty"`
	VariantColumns []string `json:"variant_columns,omitempty"`
}

func (li *LoadInfo) addTables(res *resourceResult, m loadpkg.Manifest, skipped map[string]bool) {
	names := map[string]bool{}
	for t := range res.stats.Rows {
		names[t] = true
	}
	for _, t := range res.stats.NewTables {
		names[t] = true
	}
	cols := func(list []string, table string) []string {
		var out []string
		for _, tc := range list {
			if t, c, ok := strings.Cut(tc, "."); ok && t == table {
				out = append(out, c)
			}
		}
		return out
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	slices.Sort(sorted)
	for _, n := range sorted {
		rows := m.Rows[n]
		if skipped[n] {
			rows = 0
		}
		ti := TableInfo{Name: n, Rows: rows, NewTable: slices.Contains(res.stats.NewTables, n),
			VariantColumns: cols(res.stats.VariantColumns, n)}
		if !ti.NewTable {
			ti.NewColumns = cols(res.stats.NewColumns, n)
		}
		li.Tables = append(li.Tables, ti)
	}
}

func (li *LoadInfo) records() int64 {
	var n int64
	for _, r := range li.Resources {
		n += r.Records
	}
	return n
}

// String is dlt's LoadInfo text, then one line per table.
func (li *LoadInfo) String() string {
	var b strings.Builder
	packages, status := 1, "is LOADED and contains no failed jobs"
	inc := li.Incomplete()
	if len(inc) > 0 {
		status = fmt.Sprintf("is INCOMPLETE: it loaded what could be read, but %d partition(s) could not be read whole (below)", len(inc))
	}
	if !li.Loaded {
		packages = 0
	}
	fmt.Fprintf(&b, "Pipeline %s load step completed in %.2f seconds\n", li.PipelineName, li.LoadDuration.Seconds())
	fmt.Fprintf(&b, "%d load package(s) were loaded to destination %s and into dataset %s\n", packages, li.DestinationType, li.DatasetName)
	fmt.Fprintf(&b, "The %s destination used %s location to store data\n", li.DestinationType, li.Location)
	switch {
	case li.Loaded:
		fmt.Fprintf(&b, "Load package %s %s\n", li.LoadID, status)
	case len(inc) > 0:
		fmt.Fprintf(&b, "No new data was loaded, and the data is INCOMPLETE: %d partition(s) could not be read whole (below)\n", len(inc))
	default:
		b.WriteString("No new data: every resource is up to date, so nothing was loaded\n")
	}
	for _, t := range li.Tables {
		fmt.Fprintf(&b, "  %s: %d rows", t.Name, t.Rows)
		if t.NewTable {
			b.WriteString(" (new table)")
		}
		if len(t.NewColumns) > 0 {
			fmt.Fprintf(&b, ", new columns %s", strings.Join(t.NewColumns, ", "))
		}
		if len(t.VariantColumns) > 0 {
			fmt.Fprintf(&b, ", variant columns %s", strings.Join(t.VariantColumns, ", "))
		}
		b.WriteByte('\n')
	}
	for _, r := range li.Resources {
		if r.Truncated {
			fmt.Fprintf(&b, "  %s stopped after %d pages (--max-pages); its incremental cursor was not moved\n", r.Name, r.Pages)
		}
		if r.Unchanged {
			fmt.Fprintf(&b, "  %s is unchanged since the last load (%d records): not loaded again\n", r.Name, r.Records)
		}
		if r.Missing > 0 {
			fmt.Fprintf(&b, "  %s: %d resources were deleted in Secoda before they could be fetched\n", r.Name, r.Missing)
		}
		if r.Partitions > 1 {
			fmt.Fprintf(&b, "  %s was read in %d partitions past Secoda's cap: %d pages of data, %d pages to plan them\n", r.Name, r.Partitions, r.Pages, r.PlanPages)
		}
		for _, i := range r.Incomplete {
			fmt.Fprintf(&b, "  INCOMPLETE %s, partition %s\n", r.Name, i)
		}
		for _, c := range r.Collisions {
			fmt.Fprintf(&b, "  WARNING %s: fields %s of one record all become %s.%s; the last one's value was kept, as dlt keeps it, and %d values were dropped\n",
				r.Name, quoteAll(c.Fields), c.Table, c.Column, c.Dropped)
		}
	}
	fmt.Fprintf(&b, "%d requests, %d retries, %d answered 429, in %.2f seconds\n", li.Requests, li.Retries, li.RateLimited, li.Duration.Seconds())
	for _, n := range li.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	return b.String()
}

// quoteAll is names quoted and listed.
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

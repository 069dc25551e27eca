package tools

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/internal/table"
)

// Limits of catalog_report.
const (
	// reportListRows bounds each list of the report.
	reportListRows = 20
	// reportCoverageRows bounds the coverage table (integrations × entity types).
	reportCoverageRows = 100
	// reportTextRows bounds the rows of a list the text shows.
	reportTextRows = 10
	// staleDays is how long without an update makes a resource stale, counted back
	// from the catalog's latest update (so that the report of a dataset does not change
	// as it ages).
	staleDays = 180
)

// CatalogReportIn is catalog_report's input: none.
type CatalogReportIn struct{}

// ReportFigure is one figure of the report and the SQL that computes it.
type ReportFigure struct {
	Name    string  `json:"name"`
	Label   string  `json:"label" jsonschema:"what it counts"`
	Value   int64   `json:"value"`
	Total   int64   `json:"total" jsonschema:"the whole it is a part of"`
	Percent float64 `json:"percent" jsonschema:"value / total, in percent, one decimal"`
	SQL     string  `json:"sql" jsonschema:"the query that computes value and total: run it with query_dataset, or change it to go deeper"`
}

// ReportTable is one list of the report and the SQL that lists it.
type ReportTable struct {
	Name      string           `json:"name"`
	Label     string           `json:"label"`
	SQL       string           `json:"sql" jsonschema:"the query that lists it: run it with query_dataset for all the rows"`
	Columns   []string         `json:"columns"`
	Rows      []map[string]any `json:"rows"`
	Truncated bool             `json:"truncated" jsonschema:"more rows than listed (20; coverage 100)"`
}

// CatalogReportOut is catalog_report's result.
type CatalogReportOut struct {
	Figures     []ReportFigure    `json:"figures"`
	Tables      []ReportTable     `json:"tables"`
	Definitions map[string]string `json:"definitions" jsonschema:"how PII, stale, unused and popular are decided"`
	Notes       []string          `json:"notes" jsonschema:"figures left out, and what to load for them"`
	Next        string            `json:"next"`
}

// CatalogReport reports on the documentation and hygiene of the loaded catalog.
func CatalogReport(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[CatalogReportIn, CatalogReportOut]("catalog_report",
			"Report on the loaded catalog, offline: documentation coverage (description, definition, owners, tags) overall and by "+
				"integration and entity type; PII resources without owners or descriptions; unused and stale resources; popular "+
				"resources without tags. Every figure and list comes with the SQL that computes it, to run or refine with query_dataset.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, _ CatalogReportIn) (CatalogReportOut, string, error) {
			c, err := d.catalog(ctx)
			if err != nil {
				return CatalogReportOut{}, "", err
			}
			out, err := c.report(ctx)
			if err != nil {
				return CatalogReportOut{}, "", err
			}
			return out, reportText(out), nil
		}),
	}
}

// reportSQL is the conditions the report counts by, in SQL both dialects take, over
// resource_catalog r; "" for one the loaded columns cannot decide.
type reportSQL struct {
	described, defined, owned, tagged, pii, unused, stale, popular string
	path                                                           string
	usage                                                          string
	joins                                                          map[string]string // what a condition names -> the join that gives it
	ownedRow, taggedRow                                            string            // owned and tagged for a list's few rows
}

// from is the FROM clause of a query whose other clauses are sql: the catalog, and the
// joins its conditions name.
func (s reportSQL) from(sql ...string) string {
	out := "FROM resource_catalog r"
	for _, name := range []string{"o.p", "t.p"} {
		if j := s.joins[name]; j != "" && strings.Contains(strings.Join(sql, " "), name) {
			out += "\n" + j
		}
	}
	return out
}

func (c *catalogData) reportConditions() (reportSQL, []string) {
	var s reportSQL
	var notes []string
	s.described = "coalesce(trim(" + c.col(catalogTable, "r", "description", "VARCHAR") + "), '') <> ''"
	// A definition is HTML: one of tags alone (<p></p>) says nothing.
	s.defined = "trim(regexp_replace(" + c.text("r", "definition") + ", '<[^>]*>', '', 'g')) <> ''"
	// A resource has an owner (a tag): counted over the whole catalog, when a LEFT
	// JOIN to its children's distinct parents finds it (a join hashes each side once on
	// every destination); in a list, whose WHERE keeps few resources, when EXISTS
	// finds a child. (Counting with EXISTS made DuckDB copy every resource, descriptions
	// and all, past a read's memory on a million; an IN inside a CASE made PostgreSQL
	// scan the children again for each resource, past the time limit; a list with the
	// join hashed every child for a hundred rows, past the memory again.)
	exists := func(child string) string {
		return "EXISTS (SELECT 1 FROM " + child + " x WHERE x._dlt_parent_id = r._dlt_id)"
	}
	s.owned, s.tagged, s.ownedRow, s.taggedRow = "FALSE", "FALSE", "FALSE", "FALSE"
	if c.hasCol(ownersTable, "_dlt_parent_id") {
		s.ownedRow = exists(ownersTable)
	}
	if c.hasCol(tagsTable, "_dlt_parent_id") {
		s.taggedRow = exists(tagsTable)
	}
	s.joins = map[string]string{}
	if c.hasCol(ownersTable, "_dlt_parent_id") {
		s.owned = "o.p IS NOT NULL"
		s.joins["o.p"] = "LEFT JOIN (SELECT DISTINCT _dlt_parent_id AS p FROM " + ownersTable + ") o ON o.p = r._dlt_id"
	}
	if c.hasCol(tagsTable, "_dlt_parent_id") {
		s.tagged = "t.p IS NOT NULL"
		s.joins["t.p"] = "LEFT JOIN (SELECT DISTINCT _dlt_parent_id AS p FROM " + tagsTable + ") t ON t.p = r._dlt_id"
	}
	var pii []string
	if c.hasCol(catalogTable, "pii") {
		pii = append(pii, "coalesce(r.pii, FALSE)")
	}
	if c.hasCol(tagTable, "name") && c.has(tagsTable) {
		pii = append(pii, "r._dlt_id IN (SELECT x._dlt_parent_id FROM "+tagsTable+" x JOIN tag g ON g.id = x.value WHERE x._dlt_parent_id IS NOT NULL AND "+
			"(lower(g.name) = 'pii' OR lower(g.name) LIKE 'pii\\_%' ESCAPE '\\' OR lower(g.name) LIKE 'pii %' OR lower(g.name) LIKE 'pii-%'))")
	} else {
		notes = append(notes, "PII counts the pii flag only: add [resources.tag] to secoda_pipeline.toml and call run_pipeline to count resources tagged PII too")
	}
	if len(pii) > 0 {
		s.pii = "(" + strings.Join(pii, " OR ") + ")"
	} else {
		notes = append(notes, "no PII figures: resource_catalog has no pii column and tag is not loaded (add [resources.tag])")
	}
	if c.hasCol(catalogTable, "total_usage") {
		s.usage = "coalesce(r.total_usage, 0)"
		s.unused = s.usage + " = 0"
		s.popular = s.usage + " > 0 AND " + s.usage + " >= (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY coalesce(total_usage, 0)) FROM resource_catalog)"
	} else {
		notes = append(notes, "no usage figures (unused, popular): resource_catalog has no total_usage column")
	}
	var stale []string
	if c.hasCol(catalogTable, "stale") {
		stale = append(stale, "coalesce(r.stale, FALSE)")
	}
	if c.hasCol(catalogTable, "updated_at") {
		stale = append(stale, fmt.Sprintf("r.updated_at < (SELECT max(updated_at) FROM resource_catalog) - INTERVAL '%d days'", staleDays))
	}
	if len(stale) > 0 {
		s.stale = "(" + strings.Join(stale, " OR ") + ")"
	} else {
		notes = append(notes, "no stale figure: resource_catalog has neither stale nor updated_at")
	}
	s.path = "r.title"
	if c.hasCol(catalogTable, "title_full") {
		s.path = "coalesce(nullif(r.title_full, ''), r.title)"
	}
	return s, notes
}

func (c *catalogData) report(ctx context.Context) (CatalogReportOut, error) {
	s, notes := c.reportConditions()
	out := CatalogReportOut{Figures: []ReportFigure{}, Tables: []ReportTable{}, Notes: notes, Definitions: map[string]string{
		"described": "description is not empty",
		"defined":   "definition has text once its HTML tags are dropped",
		"owned":     "at least one owner (resource_catalog__owners)",
		"tagged":    "at least one tag (resource_catalog__tags)",
		"pii":       "the record's pii flag is true, or it carries a tag named PII (PII, PII_2, PII - email: any case)",
		"unused":    "total_usage is 0 or missing",
		"stale": fmt.Sprintf("Secoda's stale flag is true, or updated_at is more than %d days before the catalog's latest updated_at",
			staleDays),
		"popular": "total_usage above 0 and at or above the catalog's 90th percentile of total_usage",
	}}
	sum := func(cond string) string { return "CAST(sum(CASE WHEN " + cond + " THEN 1 ELSE 0 END) AS BIGINT)" }
	figure := func(name, label, cond, where string) ReportFigure {
		sql := "SELECT " + sum(cond) + " AS value, CAST(count(*) AS BIGINT) AS total\n" + s.from(cond, where)
		if where != "" {
			sql += "\nWHERE " + where
		}
		return ReportFigure{Name: name, Label: label, SQL: sql}
	}
	figures := []ReportFigure{
		figure("described", "resources with a description", s.described, ""),
		figure("defined", "resources with a definition", s.defined, ""),
		figure("owned", "resources with an owner", s.owned, ""),
		figure("tagged", "resources with a tag", s.tagged, ""),
	}
	if s.pii != "" {
		figures = append(figures,
			figure("pii", "resources that are PII", s.pii, ""),
			figure("pii_without_owners", "PII resources without an owner", "NOT "+s.owned, s.pii),
			figure("pii_without_description", "PII resources without a description", "NOT ("+s.described+")", s.pii))
	}
	if s.unused != "" {
		figures = append(figures, figure("unused", "resources never used (total_usage 0)", s.unused, ""))
	}
	if s.stale != "" {
		figures = append(figures, figure("stale", "stale resources", s.stale, ""))
	}
	if s.popular != "" {
		figures = append(figures, figure("untagged_popular", "popular resources without a tag", "NOT "+s.tagged, s.popular))
	}
	for _, f := range figures {
		res, err := c.query(ctx, f.SQL, 1)
		if err != nil {
			return out, fmt.Errorf("figure %s: %w", f.Name, err)
		}
		if len(res.Rows) == 1 {
			f.Value, f.Total = asInt(res.Rows[0][0]), asInt(res.Rows[0][1])
		}
		if f.Total > 0 {
			f.Percent = math.Round(float64(f.Value)*1000/float64(f.Total)) / 10
		}
		out.Figures = append(out.Figures, f)
	}

	integration, join := "coalesce(r.integration, '(none)')", ""
	if !c.hasCol(catalogTable, "integration") {
		integration = "'(none)'"
	} else if c.hasCol(integrationTable, "name") {
		integration, join = "coalesce(i.name, r.integration, '(none)')", "\nLEFT JOIN integration i ON i.id = r.integration"
	}
	tables := []ReportTable{{Name: "coverage", Label: "documentation coverage by integration and entity type",
		SQL: "SELECT " + integration + " AS integration, r.entity_type, CAST(count(*) AS BIGINT) AS resources,\n  " +
			sum(s.described) + " AS described,\n  " + sum(s.defined) + " AS defined,\n  " + sum(s.owned) + " AS owned,\n  " +
			sum(s.tagged) + " AS tagged\n" + s.from(s.owned, s.tagged) + join + "\nGROUP BY 1, 2\nORDER BY 1, 3 DESC, 2"}}
	usage, usageOrder := "", ""
	if s.usage != "" {
		usage, usageOrder = ", "+s.usage+" AS total_usage", s.usage+" DESC, "
	}
	list := func(name, label, where, order string, extra ...string) ReportTable {
		cols := "r.id, r.entity_type, " + s.path + " AS path" + usage
		for _, e := range extra {
			cols += ", " + e
		}
		return ReportTable{Name: name, Label: label,
			SQL: "SELECT " + cols + "\n" + s.from(cols, where) + "\nWHERE " + where + "\nORDER BY " + order + "r.id"}
	}
	if s.pii != "" {
		tables = append(tables, list("pii_gaps", "PII resources without an owner or a description, the most used first",
			s.pii+" AND (NOT "+s.ownedRow+" OR NOT ("+s.described+"))", usageOrder,
			"CASE WHEN "+s.ownedRow+" THEN TRUE ELSE FALSE END AS owned", "CASE WHEN "+s.described+" THEN TRUE ELSE FALSE END AS described"))
	}
	var idle []string
	if s.unused != "" {
		idle = append(idle, s.unused)
	}
	if s.stale != "" {
		idle = append(idle, s.stale)
	}
	if len(idle) > 0 {
		updated, order := "", ""
		if c.hasCol(catalogTable, "updated_at") {
			updated, order = "r.updated_at", "r.updated_at, "
		}
		var extra []string
		if updated != "" {
			extra = append(extra, updated)
		}
		tables = append(tables, list("unused_or_stale", "unused or stale resources, the least recently updated first",
			strings.Join(idle, " OR "), order, extra...))
	}
	if s.popular != "" {
		tables = append(tables, list("untagged_popular", "popular resources without a tag, the most used first",
			s.popular+" AND NOT "+s.taggedRow, usageOrder))
	}
	for _, t := range tables {
		n := reportListRows
		if t.Name == "coverage" {
			n = reportCoverageRows
		}
		res, err := c.query(ctx, t.SQL, n)
		if err != nil {
			return out, fmt.Errorf("list %s: %w", t.Name, err)
		}
		t.Columns, t.Rows, t.Truncated = res.Columns, table.Objects(res.Columns, res.Rows), res.Truncated
		if t.Rows == nil {
			t.Rows = []map[string]any{}
		}
		out.Tables = append(out.Tables, t)
	}
	out.Next = "query_dataset with a figure's or a list's sql to see all of it, or change it to go deeper; describe_resource with an id."
	return out, nil
}

func reportText(out CatalogReportOut) string {
	var b strings.Builder
	b.WriteString("Catalog report\n\n")
	cells := make([][]any, 0, len(out.Figures))
	for _, f := range out.Figures {
		cells = append(cells, []any{f.Name, f.Label, f.Value, f.Total, fmt.Sprintf("%.1f%%", f.Percent)})
	}
	b.WriteString(table.Markdown([]string{"figure", "counts", "value", "total", "%"}, cells, 80))
	b.WriteString("\nThe SQL of each figure (value, total):\n")
	for _, f := range out.Figures {
		fmt.Fprintf(&b, "- %s: %s\n", f.Name, strings.ReplaceAll(f.SQL, "\n", " "))
	}
	for _, t := range out.Tables {
		fmt.Fprintf(&b, "\n%s: %s\n", t.Name, t.Label)
		rows := make([][]any, 0, min(len(t.Rows), reportTextRows))
		for _, r := range t.Rows[:min(len(t.Rows), reportTextRows)] {
			row := make([]any, len(t.Columns))
			for i, c := range t.Columns {
				row[i] = r[c]
			}
			rows = append(rows, row)
		}
		if len(rows) == 0 {
			b.WriteString("(none)\n")
		} else {
			b.WriteString(table.Markdown(t.Columns, rows, 60))
		}
		if len(t.Rows) > reportTextRows || t.Truncated {
			fmt.Fprintf(&b, "(the first %d rows: its sql lists them all)\n", len(rows))
		}
		b.WriteString("SQL:\n" + t.SQL + "\n")
	}
	b.WriteString("\nDefinitions:\n")
	for _, k := range []string{"described", "defined", "owned", "tagged", "pii", "unused", "stale", "popular"} {
		fmt.Fprintf(&b, "- %s: %s\n", k, out.Definitions[k])
	}
	for _, n := range out.Notes {
		b.WriteString("Note: " + n + "\n")
	}
	b.WriteString("\nNext: " + out.Next + "\n")
	return b.String()
}

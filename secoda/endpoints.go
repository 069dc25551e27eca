package secoda

import "strings"

// Disposition is how loading treats rows already in the destination.
type Disposition string

const (
	Append  Disposition = "append"  // add every row
	Replace Disposition = "replace" // drop what was there, load anew
	Merge   Disposition = "merge"   // delete-insert on the primary key
)

// Endpoint is one entry of the catalog: a Secoda list (or, for resource_detail, one
// object per id of a parent list) and how it loads.
type Endpoint struct {
	// Name is the table the endpoint loads into, and its name in configs and tools.
	Name string `json:"name"`
	// Path is relative to the base URL; "{id}" stands for the parent's id.
	Path string `json:"path"`
	// Selector is the dotted path of the records in the envelope ("results"), or ""
	// where the answer is one object or a bare array.
	Selector    string      `json:"data_selector"`
	PrimaryKey  string      `json:"primary_key"`
	Disposition Disposition `json:"write_disposition"`
	// Cursor is the field incremental loading keys on, "" where records carry no
	// modification time.
	Cursor string `json:"incremental_cursor,omitempty"`
	// Parent names the endpoint whose ParentField values fill {id} in Path.
	Parent      string `json:"parent,omitempty"`
	ParentField string `json:"parent_field,omitempty"`
	// CatalogQuery is true where the endpoint takes the catalog's JSON filter and sort.
	CatalogQuery bool `json:"filter_sort"`
	// Params are the other query parameters the endpoint filters on.
	Params []string `json:"params,omitempty"`
	// Paginated is false for answers that are one list with no pages (a bare array)
	// or one object.
	Paginated bool `json:"paginated"`
	// Deprecated is true where Secoda's docs steer people to the catalog instead.
	Deprecated  bool   `json:"deprecated,omitempty"`
	Description string `json:"description"`
}

// Endpoints is the catalog of every documented list endpoint: the one place the
// pipeline, the scaffold, the MCP tools, the simulator and the docs take them from.
// The first four are the ones dlt's Secoda pipeline loads, and scaffold's default.
var Endpoints = []Endpoint{
	{Name: "resource_catalog", Path: "resource/catalog", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		CatalogQuery: true, Params: []string{"teams"}, Paginated: true,
		Description: "Every catalog resource (tables, columns, dashboards, charts, glossary terms, ...); capped by Secoda at 10,000 per query"},
	{Name: "document", Path: "document", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Paginated: true, Description: "Documents written in Secoda"},
	{Name: "collection", Path: "collection/collections", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Params: []string{"title"}, Paginated: true, Description: "Collections grouping resources"},
	{Name: "integration", Path: "integration/integrations", Selector: "results", PrimaryKey: "id", Disposition: Merge,
		Params: []string{"type"}, Paginated: true, Description: "Connected sources (warehouses, BI tools, dbt, ...)"},
	{Name: "resource_detail", Path: "resource/all/{id}", Selector: "", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Parent: "resource_catalog", ParentField: "id", Description: "Each catalog resource in full, one request per id of resource_catalog"},
	{Name: "table", Path: "table/tables", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Params: []string{"integration_id", "parent_id", "title"}, Paginated: true, Deprecated: true, Description: "Tables and views"},
	{Name: "column", Path: "table/columns", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Params: []string{"integration_id", "parent_id", "title", "table_title"}, Paginated: true, Deprecated: true, Description: "Columns of tables, with their data types"},
	{Name: "dashboard", Path: "dashboard/dashboards", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Params: []string{"integration_id", "title"}, Paginated: true, Description: "BI dashboards"},
	{Name: "chart", Path: "dashboard/charts", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Params: []string{"integration_id", "parent_id", "title"}, Paginated: true, Description: "Charts on dashboards"},
	{Name: "glossary_term", Path: "dictionary/terms", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Params: []string{"title"}, Paginated: true, Deprecated: true, Description: "Glossary terms (also in resource_catalog as entity_type glossary)"},
	{Name: "question", Path: "question/questions", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Paginated: true, Description: "Questions asked in Secoda, with status and answers"},
	{Name: "question_reply", Path: "question/replies", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Paginated: true, Description: "Replies to questions"},
	{Name: "event", Path: "event/events", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Paginated: true, Description: "Tracked product events"},
	{Name: "user", Path: "user", Selector: "results", PrimaryKey: "id", Disposition: Merge,
		Paginated: true, Description: "Workspace members and service accounts"},
	{Name: "team", Path: "auth/teams", Selector: "results", PrimaryKey: "id", Disposition: Merge,
		Params: []string{"include_archived", "only_joined", "only_write"}, Paginated: true, Description: "Teams"},
	{Name: "group", Path: "auth/group", Selector: "results", PrimaryKey: "id", Disposition: Merge,
		Paginated: true, Description: "User groups"},
	{Name: "tag", Path: "tag", Selector: "results", PrimaryKey: "id", Disposition: Merge,
		Paginated: true, Description: "Tags"},
	{Name: "lineage", Path: "lineage/manual", Selector: "results", PrimaryKey: "id", Disposition: Merge,
		Params: []string{"from_entity", "to_entity", "from_entity_id", "to_entity_id", "from_entity__in", "to_entity__in",
			"integration_type", "integration__type"}, Paginated: true,
		Description: "Manual lineage edges between resources, both directions of each pair"},
	{Name: "monitor", Path: "monitor/monitors", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Paginated: true, Description: "Data quality monitors"},
	{Name: "monitor_incident", Path: "monitor/incidents", Selector: "results", PrimaryKey: "id", Disposition: Merge, Cursor: "updated_at",
		Paginated: true, Description: "Incidents raised by monitors"},
	{Name: "custom_property", Path: "resource/all_v2/custom_properties", Selector: "", PrimaryKey: "id", Disposition: Merge,
		Description: "Custom property definitions (one bare list, no pages)"},
	// The audit log's sample envelope is {count, next, previous, results}; page_size is
	// documented here only.
	{Name: "audit_log", Path: "notification/workspace", Selector: "results", PrimaryKey: "id", Disposition: Merge,
		Params: []string{"days", "page_size"}, Paginated: true,
		Description: "The workspace's audit log: who did what to which resource, newest first (days: how far back, default 90)"},
}

// DefaultResources are what scaffold selects with no --resources: dlt's Secoda source.
var DefaultResources = []string{"resource_catalog", "document", "collection", "integration"}

// LookupEndpoint finds an endpoint by name.
func LookupEndpoint(name string) (Endpoint, bool) {
	for _, e := range Endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return Endpoint{}, false
}

// EndpointNames lists the catalog's names in catalog order.
func EndpointNames() []string {
	names := make([]string, len(Endpoints))
	for i, e := range Endpoints {
		names[i] = e.Name
	}
	return names
}

// SuggestEndpoint names the endpoint closest to a misspelt one, or "" when none is
// close, for "did you mean" messages.
func SuggestEndpoint(name string) string {
	return Suggest(name, EndpointNames())
}

// Suggest returns the candidate nearest to s by edit distance (a plural, a missing
// underscore), or "" when none is within a third of its length.
func Suggest(s string, candidates []string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(s, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= max(2, len(s)/3) {
		return best
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// FilterEndpoints returns the endpoints whose name, path or description holds query
// (case-insensitive); all of them for "".
func FilterEndpoints(query string) []Endpoint {
	q := strings.ToLower(strings.TrimSpace(query))
	var out []Endpoint
	for _, e := range Endpoints {
		if q == "" || strings.Contains(e.Name, q) || strings.Contains(strings.ToLower(e.Path), q) ||
			strings.Contains(strings.ToLower(e.Description), q) {
			out = append(out, e)
		}
	}
	return out
}

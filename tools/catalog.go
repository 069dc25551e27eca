package tools

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// The catalog tools (search_catalog, get_lineage, describe_resource, catalog_report)
// answer the catalog's questions over the loaded dataset, offline and read-only. This
// file is what they share: which tables and columns the load produced (a column exists
// only once some record had the field), how a resource is named and resolved, and the
// SQL both DuckDB (and Parquet files behind it) and PostgreSQL accept.

// The tables of the catalog, as dlt names Secoda's records.
const (
	catalogTable     = "resource_catalog"
	lineageTable     = "lineage"
	ownersTable      = "resource_catalog__owners"
	tagsTable        = "resource_catalog__tags"
	collectionsTable = "resource_catalog__collections"
	propertiesTable  = "resource_catalog__properties__custom"
	tagTable         = "tag"
	userTable        = "user"
	collectionTable  = "collection"
	integrationTable = "integration"
)

// notLoaded is the error for a table a tool needs that no run loaded: the resource to
// add and the tool that loads it.
func notLoaded(table string) error {
	return fmt.Errorf("%s is not loaded: add [resources.%s] to secoda_pipeline.toml and call run_pipeline", table, table)
}

// catalogData is the dataset with what the load made of the catalog: its tables and
// their columns.
type catalogData struct {
	*dataset
	columns map[string]map[string]bool // table -> its columns
	// indexed is set on a search index (catalog_index.go): its catalog has the
	// lowercased names as columns of their own.
	indexed bool
	release func() // set on an index: its search is done with it
}

// done releases an index the search read (nothing on a dataset).
func (c *catalogData) done() {
	if c.release != nil {
		c.release()
	}
}

// catalog opens the dataset and reads which tables and columns it has, in one query;
// a dataset without resource_catalog is an error with the next step.
func (d *Deps) catalog(ctx context.Context) (*catalogData, error) {
	ds, err := d.dataset(ctx)
	if err != nil {
		return nil, err
	}
	return readCatalog(ctx, ds)
}

// readCatalog reads which tables and columns a dataset (or a search index) has.
func readCatalog(ctx context.Context, ds *dataset) (*catalogData, error) {
	res, err := ds.dest.Query(ctx, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "+
		sqlLiteral(ds.plan.DatasetName), catalogBounds)
	if err != nil {
		return nil, err
	}
	c := &catalogData{dataset: ds, columns: map[string]map[string]bool{}}
	for _, r := range res.Rows {
		t, col := asString(r[0]), asString(r[1])
		if c.columns[t] == nil {
			c.columns[t] = map[string]bool{}
		}
		c.columns[t][col] = true
	}
	if len(c.columns) == 0 {
		return nil, fmt.Errorf("%w: dataset %s in %s has no tables", dest.ErrNoData, ds.plan.DatasetName, ds.dest.Location())
	}
	if !c.has(catalogTable) {
		return nil, notLoaded(catalogTable)
	}
	return c, nil
}

// has reports whether the dataset has the table.
func (c *catalogData) has(table string) bool { return c.columns[table] != nil }

// hasCol reports whether the table has the column.
func (c *catalogData) hasCol(table, col string) bool { return c.columns[table][col] }

// col is alias.col when the table has the column, else a NULL of the type the column
// would have (VARCHAR, BIGINT, BOOLEAN, TIMESTAMPTZ: names both dialects take), so that
// the SQL runs on a catalog whose records never carried the field.
func (c *catalogData) col(table, alias, col, typ string) string {
	if c.hasCol(table, col) {
		return alias + "." + sqlName(col)
	}
	return "CAST(NULL AS " + typ + ")"
}

// text is a text column, "" where it is NULL.
func (c *catalogData) text(alias, col string) string {
	return "coalesce(" + c.col(catalogTable, alias, col, "VARCHAR") + ", '')"
}

// pathCols are the columns of a resource fillPaths reads after its title: its
// title_full and parent_id.
func (c *catalogData) pathCols(alias string) string {
	return c.col(catalogTable, alias, "title_full", "VARCHAR") + ", " + c.col(catalogTable, alias, "parent_id", "VARCHAR")
}

// pathOf is a resource whose path fillPaths writes to path.
type pathOf struct {
	title, full, parent string
	path                *string
}

// maxPathDepth is how many parents a path made of titles goes up (a column's table,
// schema and database).
const maxPathDepth = 3

// fillPaths writes each resource's path: its title_full (database.schema.table as
// Secoda gives it), or else its parents' titles and its own joined by dots, read a
// generation at a time by id (a join of the catalog with itself would hash all of it).
func (c *catalogData) fillPaths(ctx context.Context, ps []pathOf) error {
	type pending struct {
		chain  []string
		parent string
		path   *string
	}
	var todo []*pending
	for _, p := range ps {
		if p.full != "" {
			*p.path = p.full
			continue
		}
		*p.path = p.title
		if p.parent != "" {
			todo = append(todo, &pending{chain: []string{p.title}, parent: p.parent, path: p.path})
		}
	}
	for range maxPathDepth {
		ids := map[string]bool{}
		for _, t := range todo {
			if t.parent != "" {
				ids[t.parent] = true
			}
		}
		if len(ids) == 0 {
			break
		}
		list := make([]string, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		res, err := c.query(ctx, "SELECT r.id, r.title, "+c.col(catalogTable, "r", "parent_id", "VARCHAR")+" FROM resource_catalog r WHERE "+
			inList("r.id", list), len(list))
		if err != nil {
			return err
		}
		found := map[string][2]string{}
		for _, r := range res.Rows {
			found[asString(r[0])] = [2]string{asString(r[1]), asString(r[2])}
		}
		for _, t := range todo {
			if t.parent == "" {
				continue
			}
			p, ok := found[t.parent]
			if !ok {
				t.parent = ""
				continue
			}
			t.chain = append([]string{p[0]}, t.chain...)
			*t.path = strings.Join(t.chain, ".")
			t.parent = p[1]
		}
	}
	return nil
}

// query runs SQL the tool wrote, bounded to rows rows.
func (c *catalogData) query(ctx context.Context, sql string, rows int) (*dest.QueryResult, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	return c.dest.Query(ctx, sql, rowBounds(rows))
}

// ResourceRef names one resource.
type ResourceRef struct {
	ID         string `json:"id"`
	EntityType string `json:"entity_type"`
	Title      string `json:"title"`
	Path       string `json:"path" jsonschema:"database.schema.table: the resource's full title, or its parents' titles and its own"`
}

// resolve finds the one resource ref names: its id, else its path (title_full), else
// its title, case-insensitively. None, or several of the same kind, is an error that
// lists the candidates and says what to pass instead.
func (c *catalogData) resolve(ctx context.Context, ref string) (ResourceRef, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ResourceRef{}, fmt.Errorf("resource is empty: give a resource's id, path (database.schema.table) or title; search_catalog finds them")
	}
	if len(ref) > maxResourceRef {
		return ResourceRef{}, fmt.Errorf("resource %s is longer than a resource's path (%d bytes at most): give its id, or find it with search_catalog", shown(ref), maxResourceRef)
	}
	low := sqlLiteral(strings.ToLower(ref))
	match := "CASE WHEN r.id = " + sqlLiteral(ref) + " THEN 0 WHEN lower(" + c.text("r", "title_full") + ") = " + low + " THEN 1 ELSE 2 END"
	sql := "SELECT r.id, r.entity_type, r.title, " + c.pathCols("r") + ", " + match + " AS how FROM resource_catalog r" +
		" WHERE r.id = " + sqlLiteral(ref) + " OR lower(" + c.text("r", "title_full") + ") = " + low + " OR lower(r.title) = " + low +
		" ORDER BY how, r.id"
	res, err := c.query(ctx, sql, maxCandidates+1)
	if err != nil {
		return ResourceRef{}, err
	}
	if len(res.Rows) == 0 {
		return ResourceRef{}, fmt.Errorf("no resource has the id, path or title %s: call search_catalog with query %s to find it, then pass its id",
			shown(ref), shown(ref))
	}
	best := asInt(res.Rows[0][5])
	var found []ResourceRef
	var paths []pathOf
	for _, r := range res.Rows {
		if asInt(r[5]) == best {
			found = append(found, ResourceRef{ID: asString(r[0]), EntityType: asString(r[1]), Title: asString(r[2])})
			paths = append(paths, pathOf{title: asString(r[2]), full: asString(r[3]), parent: asString(r[4])})
		}
	}
	for i := range paths {
		paths[i].path = &found[i].Path
	}
	if err := c.fillPaths(ctx, paths); err != nil {
		return ResourceRef{}, err
	}
	if len(found) == 1 {
		return found[0], nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s names several resources; pass one's id (or its full path) as resource:", shown(ref))
	for i, f := range found {
		if i == maxCandidates {
			fmt.Fprintf(&b, "\n- … and more: narrow it with search_catalog")
			break
		}
		fmt.Fprintf(&b, "\n- %s  %s (%s)", f.ID, f.Path, f.EntityType)
	}
	return ResourceRef{}, &detailedError{err: fmt.Errorf("%s", b.String()), content: map[string]any{"candidates": found[:min(len(found), maxCandidates)]}}
}

const (
	// maxResourceRef bounds a resource argument: far longer than any path.
	maxResourceRef = 1000
	// maxCandidates is how many resources an ambiguous name lists.
	maxCandidates = 10
)

// Label is an owner, tag or collection: its id and its name, when the table that names
// it (user, tag, collection) is loaded.
type Label struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty" jsonschema:"the name, when user, tag or collection is loaded"`
}

// labels reads the owners, tags and collections of the resources whose _dlt_id is in
// dltIDs (at most perResource of each), named from the user, tag and collection
// tables where they are loaded: kind -> _dlt_id -> labels.
func (c *catalogData) labels(ctx context.Context, dltIDs []string, kinds []string, perResource int) (map[string]map[string][]Label, error) {
	out := map[string]map[string][]Label{}
	if len(dltIDs) == 0 {
		return out, nil
	}
	var parts []string
	for _, k := range kinds {
		child, name := "", "CAST(NULL AS VARCHAR)"
		join := ""
		switch k {
		case "owners":
			child = ownersTable
			if c.has(userTable) {
				first, last, email := c.userCol("first_name"), c.userCol("last_name"), c.userCol("email")
				name = "nullif(trim(concat_ws(' ', " + first + ", " + last + ")), '')"
				name = "coalesce(" + name + ", " + email + ")"
				join = ` LEFT JOIN "user" u ON u.id = x.value`
			}
		case "tags":
			child = tagsTable
			if c.hasCol(tagTable, "name") {
				name, join = "n.name", " LEFT JOIN tag n ON n.id = x.value"
			}
		case "collections":
			child = collectionsTable
			if c.hasCol(collectionTable, "title") {
				name, join = "n.title", " LEFT JOIN collection n ON n.id = x.value"
			}
		}
		if !c.hasCol(child, "value") {
			continue
		}
		parts = append(parts, "SELECT "+sqlLiteral(k)+" AS kind, x._dlt_parent_id AS parent, x.value AS id, "+name+" AS name, x._dlt_list_idx AS idx FROM "+
			child+" x"+join+" WHERE "+inList("x._dlt_parent_id", dltIDs))
	}
	if len(parts) == 0 {
		return out, nil
	}
	most := len(dltIDs) * perResource * len(parts)
	res, err := c.query(ctx, "SELECT kind, parent, id, name FROM ("+strings.Join(parts, " UNION ALL ")+") l ORDER BY kind, parent, idx", min(most, dest.MaxRows))
	if err != nil {
		return nil, err
	}
	for _, r := range res.Rows {
		kind, parent := asString(r[0]), asString(r[1])
		if out[kind] == nil {
			out[kind] = map[string][]Label{}
		}
		if len(out[kind][parent]) < perResource {
			out[kind][parent] = append(out[kind][parent], Label{ID: asString(r[2]), Name: asString(r[3])})
		}
	}
	return out, nil
}

// userCol is a column of the user table as u, or NULL.
func (c *catalogData) userCol(col string) string { return c.col(userTable, "u", col, "VARCHAR") }

// names lists labels by name where they have one, by id where not.
func names(ls []Label) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, orValue(l.Name, l.ID))
	}
	return out
}

func orValue(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sqlList is strings as a list of SQL literals, for IN.
func sqlList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = sqlLiteral(s)
	}
	return strings.Join(q, ", ")
}

// inList is the condition that expr is one of vals (at least one): an IN list for up
// to 50, else a semi-join on a VALUES list. (As an IN list DuckDB can answer from an
// index, as on the search index's owners and tags; as a chain of ORs it scans.)
func inList(expr string, vals []string) string {
	if len(vals) <= 50 {
		eq := make([]string, len(vals))
		for i, v := range vals {
			eq[i] = sqlLiteral(v)
		}
		return expr + " IN (" + strings.Join(eq, ", ") + ")"
	}
	rows := make([]string, len(vals))
	for i, v := range vals {
		rows[i] = "(" + sqlLiteral(v) + ")"
	}
	return expr + " IN (SELECT v FROM (VALUES " + strings.Join(rows, ", ") + ") AS l(v))"
}

// asString reads a cell as text: "" for NULL.
func asString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// asInt reads a cell as an integer: 0 for NULL or what is not a number.
func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// asBool reads a cell as a boolean: false for NULL.
func asBool(v any) bool {
	b, _ := v.(bool)
	return b
}

// contains is the SQL condition that text expr contains s: strpos, which both dialects
// have, and which needs no escaping (as LIKE would for _ and %).
func contains(expr, s string) string {
	return "strpos(" + expr + ", " + sqlLiteral(s) + ") > 0"
}

package tools

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/internal/table"
)

// Limits of describe_resource.
const (
	// MaxChildrenListed bounds the columns and other children a description lists.
	MaxChildrenListed = 200
	// maxProperties bounds the custom properties listed.
	maxProperties = 100
	// describeLabels bounds the owners, tags and collections listed.
	describeLabels = 50
	// describeTextColumns bounds the columns the text lists (the structured result has
	// up to MaxChildrenListed).
	describeTextColumns = 60
)

// DescribeResourceIn is describe_resource's input.
type DescribeResourceIn struct {
	Resource string `json:"resource" jsonschema:"the resource: its id, its path (database.schema.table) or its title"`
}

// ChildResource is a column of a table, or another resource whose parent it is.
type ChildResource struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	EntityType  string `json:"entity_type"`
	DataType    string `json:"data_type,omitempty" jsonschema:"a column's data type (Secoda's type field)"`
	Described   bool   `json:"described" jsonschema:"it has a description"`
	PrimaryKey  bool   `json:"primary_key,omitempty"`
	PII         bool   `json:"pii,omitempty"`
	Description string `json:"description,omitempty" jsonschema:"its description, cut at 200 characters"`
}

// CustomProperty is one of properties.custom.
type CustomProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Type  string `json:"type,omitempty"`
}

// LineageDegree counts a resource's direct lineage.
type LineageDegree struct {
	Loaded     bool   `json:"loaded" jsonschema:"the lineage table is loaded"`
	Upstream   int64  `json:"upstream" jsonschema:"edges into it: the resources it is built from"`
	Downstream int64  `json:"downstream" jsonschema:"edges out of it: the resources built from it"`
	Note       string `json:"note,omitempty"`
}

// Documentation says what of a resource is documented.
type Documentation struct {
	HasDescription bool     `json:"has_description"`
	HasDefinition  bool     `json:"has_definition" jsonschema:"its definition (HTML) has text"`
	HasOwners      bool     `json:"has_owners"`
	HasTags        bool     `json:"has_tags"`
	Missing        []string `json:"missing" jsonschema:"what is missing: description, definition, owners, tags"`
}

// DescribeResourceOut is describe_resource's result.
type DescribeResourceOut struct {
	ResourceRef
	NativeType    string           `json:"native_type,omitempty"`
	DataType      string           `json:"data_type,omitempty" jsonschema:"a column's data type"`
	Description   string           `json:"description"`
	Definition    string           `json:"definition" jsonschema:"its definition, HTML as Secoda keeps it, cut at 4096 bytes"`
	Parent        *ResourceRef     `json:"parent,omitempty"`
	Integration   *Label           `json:"integration,omitempty"`
	URL           string           `json:"url,omitempty"`
	Flags         map[string]bool  `json:"flags" jsonschema:"pii, verified, stale, archived, published: those the records carry"`
	Usage         map[string]int64 `json:"usage" jsonschema:"total_usage, internal_usage, external_usage: those the records carry"`
	CreatedAt     string           `json:"created_at,omitempty"`
	UpdatedAt     string           `json:"updated_at,omitempty"`
	Columns       []ChildResource  `json:"columns" jsonschema:"for a table: its columns (the resources whose parent it is, of entity_type column), in their order"`
	Children      []ChildResource  `json:"children" jsonschema:"the other resources whose parent it is (a schema's tables, a dashboard's charts)"`
	ChildCount    int64            `json:"child_count" jsonschema:"all the resources whose parent it is"`
	ChildrenCut   bool             `json:"children_truncated" jsonschema:"more columns or children than listed (200)"`
	Owners        []Label          `json:"owners"`
	Tags          []Label          `json:"tags"`
	Collections   []Label          `json:"collections"`
	Properties    []CustomProperty `json:"custom_properties"`
	Lineage       LineageDegree    `json:"lineage"`
	Documentation Documentation    `json:"documentation"`
	Next          string           `json:"next"`
}

// DescribeResource describes one resource of the loaded catalog.
func DescribeResource(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[DescribeResourceIn, DescribeResourceOut]("describe_resource",
			"Describe one resource of the loaded catalog, offline: its columns, owners, tags, lineage degree and documentation status. "+
				"In full: its path, description and definition, parent and integration, for a table its columns (with data types), owners, "+
				"tags and collections (named when user, tag and collection are loaded), custom properties, flags (pii, verified, stale), "+
				"usage, lineage degree (edges in and out) and documentation status (what is missing). "+
				"The resource is an id, a path or a title (search_catalog finds ids).", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in DescribeResourceIn) (DescribeResourceOut, string, error) {
			c, err := d.catalog(ctx)
			if err != nil {
				return DescribeResourceOut{}, "", err
			}
			ref, err := c.resolve(ctx, in.Resource)
			if err != nil {
				return DescribeResourceOut{}, "", err
			}
			out, err := c.describe(ctx, ref)
			if err != nil {
				return DescribeResourceOut{}, "", err
			}
			return out, describeText(out), nil
		}),
	}
}

var (
	flagColumns  = []string{"pii", "verified", "stale", "archived", "published"}
	usageColumns = []string{"total_usage", "internal_usage", "external_usage"}
)

func (c *catalogData) describe(ctx context.Context, ref ResourceRef) (DescribeResourceOut, error) {
	out := DescribeResourceOut{ResourceRef: ref, Flags: map[string]bool{}, Usage: map[string]int64{}, Columns: []ChildResource{},
		Children: []ChildResource{}, Owners: []Label{}, Tags: []Label{}, Collections: []Label{}, Properties: []CustomProperty{}}
	cols := []string{"r._dlt_id", c.text("r", "native_type"), c.text("r", "type"), c.text("r", "description"), c.text("r", "definition"),
		c.text("r", "url"), c.col(catalogTable, "r", "created_at", "TIMESTAMPTZ"), c.col(catalogTable, "r", "updated_at", "TIMESTAMPTZ"),
		c.col(catalogTable, "r", "parent_id", "VARCHAR"), c.col(catalogTable, "r", "integration", "VARCHAR")}
	join := ""
	integration := "CAST(NULL AS VARCHAR)"
	if c.hasCol(integrationTable, "name") && c.hasCol(catalogTable, "integration") {
		integration = "i.name"
		join += " LEFT JOIN integration i ON i.id = r.integration"
	}
	var flags, usage []string
	for _, f := range flagColumns {
		if c.hasCol(catalogTable, f) {
			flags = append(flags, f)
			cols = append(cols, "r."+sqlName(f))
		}
	}
	for _, u := range usageColumns {
		if c.hasCol(catalogTable, u) {
			usage = append(usage, u)
			cols = append(cols, "r."+sqlName(u))
		}
	}
	res, err := c.query(ctx, "SELECT "+strings.Join(cols, ", ")+", "+integration+" FROM resource_catalog r"+join+
		" WHERE r.id = "+sqlLiteral(ref.ID), 1)
	if err != nil {
		return out, err
	}
	if len(res.Rows) == 0 {
		return out, fmt.Errorf("resource %s is no longer in resource_catalog (a run replaced it meanwhile): search_catalog again", ref.ID)
	}
	row := res.Rows[0]
	dltID := asString(row[0])
	out.NativeType, out.Description, out.Definition = asString(row[1]), asString(row[3]), asString(row[4])
	if ref.EntityType == "column" {
		out.DataType = asString(row[2]) // Secoda's type field: a column's data type, the kind of anything else
	}
	out.URL, out.CreatedAt, out.UpdatedAt = asString(row[5]), asString(row[6]), asString(row[7])
	parentID, integrationID := asString(row[8]), asString(row[9])
	i := 10
	for _, f := range flags {
		out.Flags[f] = asBool(row[i])
		i++
	}
	for _, u := range usage {
		out.Usage[u] = asInt(row[i])
		i++
	}
	if integrationID != "" {
		out.Integration = &Label{ID: integrationID, Name: asString(row[i])}
	}
	if parentID != "" {
		res, err := c.query(ctx, "SELECT r.entity_type, r.title, "+c.pathCols("r")+" FROM resource_catalog r WHERE r.id = "+sqlLiteral(parentID), 1)
		if err != nil {
			return out, err
		}
		out.Parent = &ResourceRef{ID: parentID, Title: parentID, Path: parentID}
		if len(res.Rows) == 1 {
			r := res.Rows[0]
			out.Parent.EntityType, out.Parent.Title = asString(r[0]), asString(r[1])
			if err := c.fillPaths(ctx, []pathOf{{title: out.Parent.Title, full: asString(r[2]), parent: asString(r[3]), path: &out.Parent.Path}}); err != nil {
				return out, err
			}
		}
	}
	if err := c.describeChildren(ctx, &out); err != nil {
		return out, err
	}
	labels, err := c.labels(ctx, []string{dltID}, []string{"owners", "tags", "collections"}, describeLabels)
	if err != nil {
		return out, err
	}
	for kind, dst := range map[string]*[]Label{"owners": &out.Owners, "tags": &out.Tags, "collections": &out.Collections} {
		if ls := labels[kind][dltID]; ls != nil {
			*dst = ls
		}
	}
	if c.hasCol(propertiesTable, "name") && c.hasCol(propertiesTable, "value") {
		res, err := c.query(ctx, "SELECT x.name, x.value, "+c.col(propertiesTable, "x", "type", "VARCHAR")+" FROM "+propertiesTable+
			" x WHERE x._dlt_parent_id = "+sqlLiteral(dltID)+" ORDER BY x._dlt_list_idx", maxProperties)
		if err != nil {
			return out, err
		}
		for _, r := range res.Rows {
			out.Properties = append(out.Properties, CustomProperty{Name: asString(r[0]), Value: asString(r[1]), Type: asString(r[2])})
		}
	}
	if err := c.lineageDegree(ctx, &out); err != nil {
		return out, err
	}
	doc := &out.Documentation
	doc.HasDescription = strings.TrimSpace(out.Description) != ""
	doc.HasDefinition = htmlText(out.Definition) != ""
	doc.HasOwners, doc.HasTags = len(out.Owners) > 0, len(out.Tags) > 0
	doc.Missing = []string{}
	for _, m := range []struct {
		name string
		has  bool
	}{{"description", doc.HasDescription}, {"definition", doc.HasDefinition}, {"owners", doc.HasOwners}, {"tags", doc.HasTags}} {
		if !m.has {
			doc.Missing = append(doc.Missing, m.name)
		}
	}
	out.Next = "get_lineage for its graph"
	if len(out.Columns) > 0 {
		out.Next += "; describe_resource with a column's id"
	}
	out.Next += "; query_dataset for more (resource_catalog where id = '" + out.ID + "')."
	return out, nil
}

// describeChildren lists the resources whose parent it is: columns first, in their order.
func (c *catalogData) describeChildren(ctx context.Context, out *DescribeResourceOut) error {
	if !c.hasCol(catalogTable, "parent_id") {
		return nil
	}
	order := "r.title, r.id"
	if c.hasCol(catalogTable, "sort_order") {
		order = "r.sort_order, " + order
	}
	res, err := c.query(ctx, "SELECT r.id, r.title, r.entity_type, "+c.text("r", "type")+", "+c.text("r", "description")+", "+
		c.col(catalogTable, "r", "is_pk", "BOOLEAN")+", "+c.col(catalogTable, "r", "pii", "BOOLEAN")+", CAST(count(*) OVER () AS BIGINT)"+
		" FROM resource_catalog r WHERE r.parent_id = "+sqlLiteral(out.ID)+
		" ORDER BY CASE WHEN r.entity_type = 'column' THEN 0 ELSE 1 END, "+order, MaxChildrenListed)
	if err != nil {
		return err
	}
	out.ChildrenCut = res.Truncated
	for _, r := range res.Rows {
		desc := asString(r[4])
		ch := ChildResource{ID: asString(r[0]), Title: asString(r[1]), EntityType: asString(r[2]),
			Described: strings.TrimSpace(desc) != "", PrimaryKey: asBool(r[5]), PII: asBool(r[6]), Description: cutRunes(desc, 200)}
		if ch.EntityType == "column" {
			ch.DataType = asString(r[3])
		}
		out.ChildCount = asInt(r[7])
		if ch.EntityType == "column" {
			out.Columns = append(out.Columns, ch)
		} else {
			out.Children = append(out.Children, ch)
		}
	}
	return nil
}

// lineageDegree counts the edges into and out of the resource, each pair once.
func (c *catalogData) lineageDegree(ctx context.Context, out *DescribeResourceOut) error {
	edges, err := c.edgesSQL([]string{out.ID})
	if err != nil {
		out.Lineage.Note = err.Error()
		return nil
	}
	id := sqlLiteral(out.ID)
	res, err := c.query(ctx, "SELECT CAST(coalesce(sum(CASE WHEN down = "+id+" THEN 1 ELSE 0 END), 0) AS BIGINT), CAST(coalesce(sum(CASE WHEN up = "+id+
		" THEN 1 ELSE 0 END), 0) AS BIGINT) FROM ("+edges+") e WHERE up = "+id+" OR down = "+id, 1)
	if err != nil {
		return err
	}
	out.Lineage.Loaded = true
	out.Lineage.Upstream, out.Lineage.Downstream = asInt(res.Rows[0][0]), asInt(res.Rows[0][1])
	return nil
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// htmlText is the text of an HTML fragment: tags dropped, entities decoded, trimmed.
func htmlText(s string) string {
	return strings.TrimSpace(html.UnescapeString(htmlTag.ReplaceAllString(s, " ")))
}

// cutRunes cuts s to n characters, ending in … when cut.
func cutRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func describeText(out DescribeResourceOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s", out.Path, orDash(out.EntityType))
	if out.NativeType != "" && out.NativeType != out.EntityType {
		fmt.Fprintf(&b, ", %s", out.NativeType)
	}
	if out.DataType != "" {
		fmt.Fprintf(&b, ", %s", out.DataType)
	}
	fmt.Fprintf(&b, ") id %s\n", out.ID)
	if out.Parent != nil {
		fmt.Fprintf(&b, "Parent: %s (%s, %s)\n", orValue(out.Parent.Path, out.Parent.Title), orDash(out.Parent.EntityType), out.Parent.ID)
	}
	if out.Integration != nil {
		fmt.Fprintf(&b, "Integration: %s\n", orValue(out.Integration.Name, out.Integration.ID))
	}
	fmt.Fprintf(&b, "Description: %s\n", orDash(cutRunes(out.Description, 500)))
	if t := htmlText(out.Definition); t != "" {
		fmt.Fprintf(&b, "Definition (text): %s\n", cutRunes(t, 500))
	}
	fmt.Fprintf(&b, "Owners: %s\nTags: %s\nCollections: %s\n", orDash(strings.Join(names(out.Owners), ", ")),
		orDash(strings.Join(names(out.Tags), ", ")), orDash(strings.Join(names(out.Collections), ", ")))
	var flags []string
	for _, f := range flagColumns {
		if out.Flags[f] {
			flags = append(flags, f)
		}
	}
	fmt.Fprintf(&b, "Flags: %s\n", orDash(strings.Join(flags, ", ")))
	var usage []string
	for _, u := range usageColumns {
		if v, ok := out.Usage[u]; ok {
			usage = append(usage, fmt.Sprintf("%s %d", u, v))
		}
	}
	fmt.Fprintf(&b, "Usage: %s; updated %s\n", orDash(strings.Join(usage, ", ")), orDash(out.UpdatedAt))
	if out.Lineage.Loaded {
		fmt.Fprintf(&b, "Lineage: %d upstream, %d downstream\n", out.Lineage.Upstream, out.Lineage.Downstream)
	} else {
		fmt.Fprintf(&b, "Lineage: %s\n", out.Lineage.Note)
	}
	if len(out.Documentation.Missing) == 0 {
		b.WriteString("Documentation: complete (description, definition, owners, tags)\n")
	} else {
		fmt.Fprintf(&b, "Documentation: missing %s\n", strings.Join(out.Documentation.Missing, ", "))
	}
	if len(out.Properties) > 0 {
		var ps []string
		for _, p := range out.Properties {
			ps = append(ps, p.Name+" = "+cutRunes(p.Value, 80))
		}
		fmt.Fprintf(&b, "Custom properties: %s\n", strings.Join(ps, "; "))
	}
	if len(out.Columns) > 0 {
		fmt.Fprintf(&b, "\nColumns (%d):\n", len(out.Columns))
		cells := make([][]any, 0, len(out.Columns))
		for _, ch := range out.Columns[:min(len(out.Columns), describeTextColumns)] {
			cells = append(cells, []any{ch.Title, orDash(ch.DataType), yesNo(ch.PrimaryKey), yesNo(ch.PII), orDash(cutRunes(ch.Description, 60)), ch.ID})
		}
		b.WriteString(table.Markdown([]string{"column", "type", "pk", "pii", "description", "id"}, cells, 80))
		if len(out.Columns) > describeTextColumns {
			fmt.Fprintf(&b, "(the first %d; all %d listed are in the structured result)\n", describeTextColumns, len(out.Columns))
		}
	}
	if len(out.Children) > 0 {
		fmt.Fprintf(&b, "\nChildren (%d):\n", len(out.Children))
		cells := make([][]any, 0, len(out.Children))
		for _, ch := range out.Children[:min(len(out.Children), describeTextColumns)] {
			cells = append(cells, []any{ch.Title, ch.EntityType, ch.ID})
		}
		b.WriteString(table.Markdown([]string{"title", "type", "id"}, cells, 80))
	}
	if out.ChildrenCut {
		fmt.Fprintf(&b, "(%d resources have it as parent; the first %d are listed: query_dataset for the rest)\n", out.ChildCount, MaxChildrenListed)
	}
	b.WriteString("\nNext: " + out.Next + "\n")
	return b.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}

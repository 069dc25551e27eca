package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/internal/table"
)

// Limits of get_lineage.
const (
	DefaultLineageDepth = 3
	MaxLineageDepth     = 10
	DefaultLineageEdges = 100
	MaxLineageEdges     = 300
	// mermaidLabel bounds a node's label in the drawing.
	mermaidLabel = 40
	// lineageTextEdges bounds the edges the text lists (the drawing has them all).
	lineageTextEdges = 30
)

// GetLineageIn is get_lineage's input.
type GetLineageIn struct {
	Resource  string `json:"resource" jsonschema:"the resource: its id, its path (database.schema.table) or its title"`
	Direction string `json:"direction,omitempty" jsonschema:"up (what it is built from), down (what is built from it) or both (default)"`
	Depth     int    `json:"depth,omitempty" jsonschema:"how many steps to walk (default 3, at most 10)"`
	Limit     int    `json:"limit,omitempty" jsonschema:"the most edges to return (default 100, at most 300)"`
}

// LineageNode is a resource of the graph.
type LineageNode struct {
	ID         string `json:"id"`
	Title      string `json:"title" jsonschema:"its title; its id when resource_catalog does not hold it"`
	EntityType string `json:"entity_type,omitempty"`
	Path       string `json:"path,omitempty"`
	InCatalog  bool   `json:"in_catalog" jsonschema:"resource_catalog holds it (an edge may name a resource not loaded)"`
	Depth      int    `json:"depth" jsonschema:"steps from the resource asked for: 0 for it, negative upstream, positive downstream"`
}

// LineageEdge is one edge, upstream to downstream.
type LineageEdge struct {
	From      string `json:"from" jsonschema:"the upstream resource's id"`
	To        string `json:"to" jsonschema:"the downstream resource's id"`
	FromTitle string `json:"from_title"`
	ToTitle   string `json:"to_title"`
	FromType  string `json:"from_type,omitempty"`
	ToType    string `json:"to_type,omitempty"`
	Depth     int    `json:"depth" jsonschema:"the step of the walk that found it (1: touches the resource)"`
}

// GetLineageOut is get_lineage's result.
type GetLineageOut struct {
	Resource  LineageNode   `json:"resource"`
	Direction string        `json:"direction"`
	Depth     int           `json:"depth" jsonschema:"the depth walked"`
	Nodes     []LineageNode `json:"nodes" jsonschema:"every resource of the graph, the one asked for first"`
	Edges     []LineageEdge `json:"edges" jsonschema:"upstream to downstream; each pair once, though Secoda lists each edge in both directions"`
	Truncated bool          `json:"truncated" jsonschema:"the edge limit stopped the walk: more edges exist"`
	Deeper    bool          `json:"deeper" jsonschema:"edges go on past the depth walked"`
	Mermaid   string        `json:"mermaid" jsonschema:"the graph as a Mermaid flowchart, upstream on the left"`
	Next      string        `json:"next"`
}

// GetLineage walks the loaded lineage of one resource.
func GetLineage(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[GetLineageIn, GetLineageOut]("get_lineage",
			"Walk the lineage of one resource over the loaded lineage table, offline: upstream (what it is built from), downstream "+
				"(what is built from it) or both, a few steps deep. Returns the edges (upstream to downstream, with titles and types), "+
				"the resources, and a Mermaid flowchart. Each pair Secoda lists in both directions is one edge; cycles end the walk "+
				"where they close. The resource is an id, a path or a title (search_catalog finds ids).", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in GetLineageIn) (GetLineageOut, string, error) {
			dir := strings.ToLower(strings.TrimSpace(in.Direction))
			switch dir {
			case "":
				dir = "both"
			case "up", "down", "both":
			case "upstream", "downstream":
				dir = strings.TrimSuffix(dir, "stream")
			default:
				return GetLineageOut{}, "", fmt.Errorf("direction %s: give up, down or both", shown(in.Direction))
			}
			depth := in.Depth
			switch {
			case depth == 0:
				depth = DefaultLineageDepth
			case depth < 0 || depth > MaxLineageDepth:
				return GetLineageOut{}, "", fmt.Errorf("depth %d: give 1 to %d", depth, MaxLineageDepth)
			}
			limit := in.Limit
			switch {
			case limit == 0:
				limit = DefaultLineageEdges
			case limit < 0 || limit > MaxLineageEdges:
				return GetLineageOut{}, "", fmt.Errorf("limit %d: give 1 to %d edges", limit, MaxLineageEdges)
			}
			c, err := d.catalog(ctx)
			if err != nil {
				return GetLineageOut{}, "", err
			}
			if _, err := c.edgesSQL(nil); err != nil {
				return GetLineageOut{}, "", err
			}
			root, err := c.resolve(ctx, in.Resource)
			if err != nil {
				return GetLineageOut{}, "", err
			}
			w := &walk{c: c, limit: limit, depth: map[string]int{root.ID: 0}, seen: map[[2]string]bool{}}
			if dir != "down" {
				if err := w.run(ctx, root.ID, true, depth); err != nil {
					return GetLineageOut{}, "", err
				}
			}
			if dir != "up" {
				if err := w.run(ctx, root.ID, false, depth); err != nil {
					return GetLineageOut{}, "", err
				}
			}
			out, err := w.result(ctx, root, dir, depth)
			if err != nil {
				return GetLineageOut{}, "", err
			}
			return out, lineageText(out), nil
		}),
	}
}

// edgesSQL is the lineage table's edges, upstream to downstream, each pair once:
// Secoda lists an edge in both directions, from_entity_id -> to_entity_id marked
// DOWNSTREAM and its mirror marked UPSTREAM; older records name the ends from_entity
// and to_entity.
//
// With ids, only the edges with an end among them: the condition is on the table's own
// columns, where the scan applies it, before the ends are worked out (on two million
// lineage rows a step of a walk took 150 ms without it).
func (c *catalogData) edgesSQL(ids []string) (string, error) {
	if !c.has(lineageTable) {
		return "", notLoaded(lineageTable)
	}
	end := func(side string) string {
		var cols []string
		for _, n := range []string{side + "_entity_id", side + "_entity"} {
			if c.hasCol(lineageTable, n) {
				cols = append(cols, "l."+n)
			}
		}
		switch len(cols) {
		case 0:
			return ""
		case 1:
			return cols[0]
		}
		return "coalesce(" + strings.Join(cols, ", ") + ")"
	}
	from, to := end("from"), end("to")
	if from == "" || to == "" {
		return "", fmt.Errorf("the lineage table has no from_entity_id and to_entity_id (nor from_entity and to_entity) columns: get_table_schema lineage shows what it holds")
	}
	up, down := from, to
	if c.hasCol(lineageTable, "direction") {
		up = "CASE WHEN upper(l.direction) = 'UPSTREAM' THEN " + to + " ELSE " + from + " END"
		down = "CASE WHEN upper(l.direction) = 'UPSTREAM' THEN " + from + " ELSE " + to + " END"
	}
	near := ""
	if len(ids) > 0 {
		near = " WHERE " + inList(from, ids) + " OR " + inList(to, ids)
	}
	return "SELECT DISTINCT up, down FROM (SELECT " + up + " AS up, " + down + " AS down FROM lineage l" + near + ") e WHERE up IS NOT NULL AND down IS NOT NULL", nil
}

// walk is a breadth-first walk of the lineage, one query a step: every edge once, every
// resource expanded once (so a cycle ends where it closes), at most limit edges.
type walk struct {
	c         *catalogData
	limit     int
	depth     map[string]int // resource -> its signed depth
	seen      map[[2]string]bool
	edges     []LineageEdge
	truncated bool
	deeper    bool
}

// run walks upstream (up) or downstream from root, depth steps.
func (w *walk) run(ctx context.Context, root string, up bool, depth int) error {
	// near is the end of an edge on the walk's side: upstream walks follow edges into
	// the frontier.
	near, sign := "up", 1
	if up {
		near, sign = "down", -1
	}
	frontier := []string{root}
	expanded := map[string]bool{root: true}
	for step := 1; len(frontier) > 0; step++ {
		room := w.limit - len(w.edges)
		if step > depth || room <= 0 {
			// Only whether the walk could go on: an edge of the frontier not taken yet.
			edges, err := w.c.edgesSQL(frontier)
			if err != nil {
				return err
			}
			res, err := w.c.query(ctx, "SELECT up, down FROM ("+edges+") e WHERE "+near+" IN ("+sqlList(frontier)+")", MaxLineageEdges+1)
			if err != nil {
				return err
			}
			more := res.Truncated
			for _, r := range res.Rows {
				more = more || !w.seen[[2]string{asString(r[0]), asString(r[1])}]
			}
			if more && step > depth {
				w.deeper = true
			} else if more {
				w.truncated = true
			}
			return nil
		}
		edges, err := w.c.edgesSQL(frontier)
		if err != nil {
			return err
		}
		res, err := w.c.query(ctx, "SELECT up, down FROM ("+edges+") e WHERE "+near+" IN ("+sqlList(frontier)+") ORDER BY up, down", MaxLineageEdges+1)
		if err != nil {
			return err
		}
		var next []string
		for _, r := range res.Rows {
			e := [2]string{asString(r[0]), asString(r[1])}
			// An edge the other direction's walk took (a cycle through the resource) is
			// listed once, and walked on from here too.
			if !w.seen[e] {
				if len(w.edges) == w.limit {
					w.truncated = true
					return nil
				}
				w.seen[e] = true
				w.edges = append(w.edges, LineageEdge{From: e[0], To: e[1], Depth: step})
			}
			other := e[0]
			if !up {
				other = e[1]
			}
			if _, ok := w.depth[other]; !ok {
				w.depth[other] = sign * step
			}
			if !expanded[other] {
				expanded[other] = true
				next = append(next, other)
			}
		}
		if res.Truncated {
			w.truncated = true
			return nil
		}
		frontier = next
	}
	return nil
}

// result names the walk's resources from resource_catalog and draws it.
func (w *walk) result(ctx context.Context, root ResourceRef, dir string, depth int) (GetLineageOut, error) {
	ids := []string{root.ID}
	for id := range w.depth {
		if id != root.ID {
			ids = append(ids, id)
		}
	}
	res, err := w.c.query(ctx, "SELECT r.id, r.title, r.entity_type, "+w.c.pathCols("r")+" FROM resource_catalog r WHERE "+inList("r.id", ids), len(ids))
	if err != nil {
		return GetLineageOut{}, err
	}
	found := make([]LineageNode, len(res.Rows))
	paths := make([]pathOf, len(res.Rows))
	for i, r := range res.Rows {
		found[i] = LineageNode{ID: asString(r[0]), Title: asString(r[1]), EntityType: asString(r[2]), InCatalog: true}
		paths[i] = pathOf{title: found[i].Title, full: asString(r[3]), parent: asString(r[4]), path: &found[i].Path}
	}
	if err := w.c.fillPaths(ctx, paths); err != nil {
		return GetLineageOut{}, err
	}
	known := map[string]LineageNode{}
	for _, n := range found {
		known[n.ID] = n
	}
	node := func(id string) LineageNode {
		n, ok := known[id]
		if !ok {
			n = LineageNode{ID: id, Title: id}
		}
		n.Depth = w.depth[id]
		return n
	}
	out := GetLineageOut{Resource: node(root.ID), Direction: dir, Depth: depth, Nodes: []LineageNode{node(root.ID)}, Edges: w.edges,
		Truncated: w.truncated, Deeper: w.deeper}
	if out.Edges == nil {
		out.Edges = []LineageEdge{}
	}
	// Nodes in the order the walk met them: upstream, then downstream.
	added := map[string]bool{root.ID: true}
	for i := range out.Edges {
		e := &out.Edges[i]
		from, to := node(e.From), node(e.To)
		e.FromTitle, e.ToTitle, e.FromType, e.ToType = from.Title, to.Title, from.EntityType, to.EntityType
		for _, n := range []LineageNode{from, to} {
			if !added[n.ID] {
				added[n.ID] = true
				out.Nodes = append(out.Nodes, n)
			}
		}
	}
	out.Mermaid = mermaid(out)
	switch {
	case len(out.Edges) == 0:
		out.Next = "the lineage table has no edge for this resource: search_catalog finds related resources by name; describe_resource shows the rest of it."
	case out.Truncated:
		out.Next = fmt.Sprintf("more edges than the limit: raise limit (at most %d), lower depth, or walk one direction from a resource further out.", MaxLineageEdges)
	case out.Deeper:
		out.Next = fmt.Sprintf("the lineage goes on: raise depth (at most %d), or get_lineage of a resource at the edge of this graph.", MaxLineageDepth)
	default:
		out.Next = "describe_resource with a node's id for its owners, documentation and columns."
	}
	return out, nil
}

// mermaid draws the graph as a flowchart, the resource asked for outlined.
func mermaid(out GetLineageOut) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	for i, n := range out.Nodes {
		ids[n.ID] = fmt.Sprintf("n%d", i)
		label := n.Title
		if r := []rune(label); len(r) > mermaidLabel {
			label = string(r[:mermaidLabel-1]) + "…"
		}
		if n.EntityType != "" {
			label += " (" + n.EntityType + ")"
		}
		fmt.Fprintf(&b, "  n%d[\"%s\"]\n", i, mermaidEscape(label))
	}
	for _, e := range out.Edges {
		fmt.Fprintf(&b, "  %s --> %s\n", ids[e.From], ids[e.To])
	}
	b.WriteString("  classDef asked stroke-width:3px\n  class n0 asked\n")
	return b.String()
}

// mermaidEscape makes a label safe inside "...": quotes and the characters Mermaid
// reads as markup become entity codes, line breaks spaces.
func mermaidEscape(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", " ", "\r", " ", "\t", " ", "<", "#lt;", ">", "#gt;").Replace(s)
}

func lineageText(out GetLineageOut) string {
	var b strings.Builder
	what := map[string]string{"up": "upstream", "down": "downstream", "both": "upstream and downstream"}[out.Direction]
	fmt.Fprintf(&b, "Lineage of %s (%s, %s), %s, %d steps: %s, %s.", out.Resource.Title, orDash(out.Resource.EntityType), out.Resource.ID, what,
		out.Depth, plural(len(out.Edges), "edge"), plural(len(out.Nodes), "resource"))
	if out.Truncated {
		b.WriteString(" Truncated at the edge limit.")
	}
	if out.Deeper {
		b.WriteString(" It goes on past this depth.")
	}
	b.WriteString("\n\n```mermaid\n" + out.Mermaid + "```\n\n")
	if len(out.Edges) > 0 {
		cells := make([][]any, 0, min(len(out.Edges), lineageTextEdges))
		for _, e := range out.Edges[:min(len(out.Edges), lineageTextEdges)] {
			cells = append(cells, []any{e.FromTitle, orDash(e.FromType), e.ToTitle, orDash(e.ToType), e.Depth})
		}
		b.WriteString(table.Markdown([]string{"from", "from type", "to", "to type", "step"}, cells, 60))
		if len(out.Edges) > lineageTextEdges {
			fmt.Fprintf(&b, "(the first %d edges; all %d are in the structured result)\n", lineageTextEdges, len(out.Edges))
		}
		b.WriteString("\n")
	}
	b.WriteString("Next: " + out.Next + "\n")
	return b.String()
}

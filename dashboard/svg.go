package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// loadPoint is one load in the chart.
type loadPoint struct {
	Label   string
	Rows    int64
	Seconds float64
}

// loadChart draws rows (bars, left scale) and seconds (bars, right scale) per load as
// SVG; colours come from the page's CSS, so it reads in light and dark mode.
func loadChart(points []loadPoint) template.HTML {
	const w, h, pad, bottom = 720, 220, 48, 30
	if len(points) == 0 {
		return ""
	}
	var maxRows int64 = 1
	maxSec := 0.001
	for _, p := range points {
		maxRows = max(maxRows, p.Rows)
		maxSec = math.Max(maxSec, p.Seconds)
	}
	slot := float64(w-2*pad) / float64(len(points))
	bw := math.Min(36, math.Max(2, slot/2-2))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg role="img" aria-labelledby="chart-title" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, w, h, w, h)
	fmt.Fprintf(&b, `<title id="chart-title">Rows loaded and seconds taken per load, %d loads</title>`, len(points))
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, pad, h-bottom, w-pad, h-bottom)
	fmt.Fprintf(&b, `<text x="4" y="14">%s rows</text><text x="%d" y="14" text-anchor="end">%.1f s</text>`, human(maxRows), w-4, maxSec)
	// The legend, in the chart itself.
	fmt.Fprintf(&b, `<rect class="key" x="%d" y="5" width="10" height="10"/><text x="%d" y="14">rows loaded</text>`, w/2-110, w/2-96)
	fmt.Fprintf(&b, `<rect class="key2" x="%d" y="5" width="10" height="10"/><text x="%d" y="14">seconds</text>`, w/2+10, w/2+24)
	for i, p := range points {
		x := float64(pad) + float64(i)*slot + 1
		rh := float64(h-bottom-20) * float64(p.Rows) / float64(maxRows)
		sh := float64(h-bottom-20) * p.Seconds / maxSec
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d rows</title></rect>`,
			x, float64(h-bottom)-rh, bw, rh, html.EscapeString(p.Label), p.Rows)
		fmt.Fprintf(&b, `<rect class="bar2" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %.2f s</title></rect>`,
			x+bw+1, float64(h-bottom)-sh, bw, sh, html.EscapeString(p.Label), p.Seconds)
		if len(points) <= 12 || i%(len(points)/8+1) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x+bw, h-bottom+16, html.EscapeString(p.Label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func human(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// node is a table in the schema diagram.
type node struct {
	Name, Parent, Href string
	Rows               int64
	Columns            int
}

// schemaDiagram draws the tables as a tree: roots on the left, each generation of
// children a column to the right, every parent level with the middle of its children,
// and a line from each child to its parent. Each box links to the table's data and
// takes keyboard focus.
func schemaDiagram(nodes []node) template.HTML {
	const bw, bh, gapX, gapY = 260, 44, 60, 14
	byName := map[string]bool{}
	for _, n := range nodes {
		byName[n.Name] = true
	}
	children := map[string][]string{}
	var roots []string
	for _, n := range nodes { // nodes come parents first, then by name
		if n.Parent != "" && byName[n.Parent] {
			children[n.Parent] = append(children[n.Parent], n.Name)
		} else {
			roots = append(roots, n.Name)
		}
	}
	// Leaves take the rows in turn; a parent sits at the middle of its children's rows.
	type at struct{ depth, y int }
	pos := map[string]at{}
	next, maxDepth := 0, 0
	var place func(name string, depth int) int
	place = func(name string, depth int) int {
		maxDepth = max(maxDepth, depth)
		kids := children[name]
		if len(kids) == 0 {
			y := next * (bh + gapY)
			next++
			pos[name] = at{depth, y}
			return y
		}
		first := place(kids[0], depth+1)
		last := first
		for _, k := range kids[1:] {
			last = place(k, depth+1)
		}
		y := (first + last) / 2
		pos[name] = at{depth, y}
		return y
	}
	for _, r := range roots {
		place(r, 0)
	}
	x := func(depth int) int { return depth*(bw+gapX) + 10 }
	w, h := (maxDepth+1)*(bw+gapX)+20-gapX, next*(bh+gapY)+20-gapY
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="diagram" role="img" aria-labelledby="diagram-title" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, w, h, w, h)
	fmt.Fprintf(&b, `<title id="diagram-title">%d tables and their parent/child relations</title>`, len(nodes))
	for _, n := range nodes {
		if p, ok := pos[n.Parent]; ok && n.Parent != "" {
			c := pos[n.Name]
			x1, y1, x2, y2 := x(p.depth)+bw, p.y+10+bh/2, x(c.depth), c.y+10+bh/2
			mid := (x1 + x2) / 2
			fmt.Fprintf(&b, `<path class="link" d="M%d %d C%d %d %d %d %d %d"/>`, x1, y1, mid, y1, mid, y2, x2, y2)
		}
	}
	for _, n := range nodes {
		p := pos[n.Name]
		bx, by := x(p.depth), p.y+10
		fmt.Fprintf(&b, `<a href="%s" aria-label="%s, %s"><rect class="box" x="%d" y="%d" width="%d" height="%d" rx="6"/>`,
			html.EscapeString(n.Href), html.EscapeString(n.Name), plural(n.Rows, "row"), bx, by, bw, bh)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" class="muted">%s · %s</text></a>`,
			bx+8, by+18, html.EscapeString(cut(n.Name, 36)), bx+8, by+35, plural(n.Rows, "row"), plural(int64(n.Columns), "column"))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// plural is "1 row", "2 rows".
func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

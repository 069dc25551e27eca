package dashboard

import (
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// boxes reads each table's box (x, y) from a diagram.
func boxes(t *testing.T, svg string) map[string][2]int {
	t.Helper()
	re := regexp.MustCompile(`aria-label="([^"]*), [^"]*"><rect class="box" x="(\d+)" y="(\d+)"`)
	out := map[string][2]int{}
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(m[2])
		y, _ := strconv.Atoi(m[3])
		out[m[1]] = [2]int{x, y}
	}
	return out
}

// wellFormed fails unless s parses as XML.
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
	}
}

func TestSchemaDiagramIsATree(t *testing.T) {
	nodes := []node{
		{Name: "a"}, {Name: "b"},
		{Name: "a__x", Parent: "a"}, {Name: "a__y", Parent: "a"}, {Name: "a__z", Parent: "a"},
		{Name: "a__y__deep", Parent: "a__y"},
		{Name: "orphan", Parent: "missing"},
	}
	svg := string(schemaDiagram(nodes))
	wellFormed(t, svg)
	pos := boxes(t, svg)
	if len(pos) != len(nodes) {
		t.Fatalf("%d boxes for %d tables: %v", len(pos), len(nodes), pos)
	}
	// Generations are columns.
	if !(pos["a"][0] < pos["a__x"][0] && pos["a__x"][0] == pos["a__y"][0] && pos["a__y"][0] < pos["a__y__deep"][0]) || pos["orphan"][0] != pos["a"][0] {
		t.Fatalf("columns: %v", pos)
	}
	// A parent sits between its first and last child; nobody overlaps in a column.
	if !(pos["a__x"][1] <= pos["a"][1] && pos["a"][1] <= pos["a__z"][1]) {
		t.Fatalf("a is not level with its children: %v", pos)
	}
	seen := map[[2]int]string{}
	for name, p := range pos {
		if other, ok := seen[p]; ok {
			t.Fatalf("%s and %s overlap at %v", name, other, p)
		}
		seen[p] = name
	}
	if n := strings.Count(svg, `<path class="link"`); n != 4 {
		t.Fatalf("%d links, want 4 (the orphan's parent is not there)", n)
	}
	if !strings.Contains(svg, `aria-label="a__y__deep, 0 rows"`) {
		t.Fatal("boxes do not name their rows")
	}
}

func TestSVGEscapesNames(t *testing.T) {
	hostile := `x"><script>alert(1)</script>`
	svg := string(schemaDiagram([]node{{Name: hostile, Href: `/data?table=` + hostile, Rows: 1, Columns: 1}}))
	wellFormed(t, svg)
	if strings.Contains(svg, "<script>") {
		t.Fatalf("the name reached the SVG unescaped: %s", svg)
	}
	if !strings.Contains(svg, "1 row · 1 column") {
		t.Fatalf("singulars: %s", svg)
	}
	chart := string(loadChart([]loadPoint{{Label: hostile, Rows: 10, Seconds: 1}, {Label: "b", Rows: 0, Seconds: 0}}))
	wellFormed(t, chart)
	if strings.Contains(chart, "<script>") {
		t.Fatalf("the label reached the chart unescaped: %s", chart)
	}
	if loadChart(nil) != "" {
		t.Fatal("a chart of nothing")
	}
}

func TestLoadChartScales(t *testing.T) {
	chart := string(loadChart([]loadPoint{{Label: "1", Rows: 1000, Seconds: 2}, {Label: "2", Rows: 500, Seconds: 4}}))
	heights := regexp.MustCompile(`<rect class="(bar2?)" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"`).FindAllStringSubmatch(chart, -1)
	if len(heights) != 4 {
		t.Fatalf("%d bars", len(heights))
	}
	h := func(i int) float64 { v, _ := strconv.ParseFloat(heights[i][2], 64); return v }
	// rows 1000 then 500 (half as high); seconds 2 then 4 (twice as high).
	if h(0) != 2*h(2) || 2*h(1) != h(3) || h(0) != h(3) {
		t.Fatalf("bar heights %v %v %v %v", h(0), h(1), h(2), h(3))
	}
	if !strings.Contains(chart, "1.0k rows") || !strings.Contains(chart, "4.0 s") {
		t.Fatalf("scales: %s", chart)
	}
}

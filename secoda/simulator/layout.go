package simulator

import (
	"math"
	"sort"
)

// warehouse is one warehouse integration's shape: its databases, the schemas of each,
// and how many tables a schema holds on average.
type warehouse struct {
	Databases, SchemasPerDatabase, TablesPerSchema int
}

// layout is how many of each kind a size holds. Warehouses differ in size; tables per
// schema, columns per table and charts per dashboard are drawn per parent from the seed
// (unless Fixed), so that a loader meets the proportions of a real workspace: most
// tables narrow, a tail of wide ones, and one very wide table.
type layout struct {
	Warehouses []warehouse
	BITools    int
	// Fixed gives every schema TablesPerSchema tables, every table ColumnsPerTable
	// columns and every dashboard ChartsPerDashboard charts: the small size, whose
	// figures tests spell out.
	Fixed               bool
	ColumnsPerTable     int
	DashboardsPerBITool int
	ChartsPerDashboard  int // the mean when not Fixed
	// WideColumns > 0 makes one table of the first (biggest) warehouse that wide; every
	// other table has at most maxColumns columns.
	WideColumns                                                         int
	Glossary, Events, Queries, Metrics                                  int
	Documents, Collections, Questions, RepliesPerQuestion, Users, Teams int
	Groups, Tags, LineagePairs, Monitors, Incidents, CustomProperties   int
	AuditLog                                                            int
}

// maxColumns is the widest an ordinary table gets; only the one wide table passes it.
const maxColumns = 300

var layouts = map[Size]layout{
	Small: {Warehouses: []warehouse{{1, 2, 6}, {1, 2, 6}}, BITools: 1, Fixed: true, ColumnsPerTable: 5,
		DashboardsPerBITool: 6, ChartsPerDashboard: 3, Glossary: 12, Events: 6, Queries: 6, Metrics: 3,
		Documents: 25, Collections: 6, Questions: 10, RepliesPerQuestion: 2, Users: 15, Teams: 3, Groups: 4,
		Tags: 12, LineagePairs: 20, Monitors: 8, Incidents: 12, CustomProperties: 6, AuditLog: 60},
	// One big warehouse (about 50,000 columns), three smaller ones.
	Medium: {Warehouses: []warehouse{{3, 8, 70}, {2, 5, 25}, {1, 4, 20}, {1, 3, 15}}, BITools: 2, WideColumns: 1500,
		DashboardsPerBITool: 300, ChartsPerDashboard: 5, Glossary: 500, Events: 300, Queries: 600, Metrics: 40,
		Documents: 2000, Collections: 100, Questions: 800, RepliesPerQuestion: 2, Users: 500, Teams: 20, Groups: 40,
		Tags: 200, LineagePairs: 2500, Monitors: 400, Incidents: 1200, CustomProperties: 25, AuditLog: 5000},
	// About a million catalog resources over six warehouses of different sizes.
	Large: {Warehouses: []warehouse{{4, 10, 300}, {4, 8, 250}, {2, 10, 240}, {2, 6, 240}, {1, 6, 240}, {1, 4, 200}},
		BITools: 4, WideColumns: 1500, DashboardsPerBITool: 2000, ChartsPerDashboard: 4, Glossary: 2000, Events: 1000,
		Queries: 5000, Metrics: 200, Documents: 20000, Collections: 500, Questions: 5000, RepliesPerQuestion: 2,
		Users: 3000, Teams: 50, Groups: 100, Tags: 500, LineagePairs: 25000, Monitors: 2000, Incidents: 6000,
		CustomProperties: 40, AuditLog: 50000},
}

// tree is the shape of the catalog as prefix sums: the children of parent i of a level
// are the ordinals [start[i], start[i+1]) of the level below. int32 keeps the large
// size's arrays small (a few hundred kilobytes).
type tree struct {
	warehouses, biTools int
	dbStart             []int32 // per warehouse: its databases
	schemaStart         []int32 // per database: its schemas
	tableStart          []int32 // per schema: its tables
	colStart            []int32 // per table: its columns
	dashStart           []int32 // per BI tool: its dashboards
	chartStart          []int32 // per dashboard: its charts
	queryStart          []int32 // per warehouse: its queries
	wide                int     // the wide table's ordinal, or -1
}

// grow draws the tree from the seed and counts every kind.
func (l layout) grow(w *Workspace) (tree, [numKinds]int) {
	t := tree{warehouses: len(l.Warehouses), biTools: l.BITools, wide: -1}
	var c [numKinds]int
	t.dbStart = []int32{0}
	t.schemaStart = []int32{0}
	t.tableStart = []int32{0}
	for _, wh := range l.Warehouses {
		for range wh.Databases {
			for range wh.SchemasPerDatabase {
				s := len(t.tableStart) - 1
				n := wh.TablesPerSchema
				if !l.Fixed { // three quarters to five quarters of the mean
					n = max(1, wh.TablesPerSchema*3/4+w.intn(s, 901, wh.TablesPerSchema/2+1))
				}
				t.tableStart = append(t.tableStart, t.tableStart[s]+int32(n))
			}
			t.schemaStart = append(t.schemaStart, int32(len(t.tableStart)-1))
		}
		t.dbStart = append(t.dbStart, int32(len(t.schemaStart)-1))
	}
	tables := int(t.tableStart[len(t.tableStart)-1])
	if l.WideColumns > 0 && len(l.Warehouses) > 0 {
		first := int(t.tableStart[t.schemaStart[t.dbStart[1]]])
		t.wide = w.intn(0, 903, first)
	}
	t.colStart = make([]int32, 1, tables+1)
	for i := range tables {
		t.colStart = append(t.colStart, t.colStart[i]+int32(l.columnsOf(w, i, t.wide)))
	}
	t.dashStart = []int32{0}
	for range l.BITools {
		t.dashStart = append(t.dashStart, t.dashStart[len(t.dashStart)-1]+int32(l.DashboardsPerBITool))
	}
	dashboards := l.BITools * l.DashboardsPerBITool
	t.chartStart = make([]int32, 1, dashboards+1)
	for d := range dashboards {
		n := l.ChartsPerDashboard
		if !l.Fixed { // 1 to 2×mean-1
			n = 1 + w.intn(d, 902, max(1, 2*l.ChartsPerDashboard-1))
		}
		t.chartStart = append(t.chartStart, t.chartStart[d]+int32(n))
	}
	t.queryStart = make([]int32, 0, len(l.Warehouses)+1)
	for i := range len(l.Warehouses) + 1 {
		t.queryStart = append(t.queryStart, int32(l.Queries*i/max(1, len(l.Warehouses))))
	}

	c[kIntegration] = len(l.Warehouses) + l.BITools
	c[kDatabase] = len(t.schemaStart) - 1
	c[kSchema] = len(t.tableStart) - 1
	c[kTable] = tables
	c[kColumn] = int(t.colStart[tables])
	c[kDashboard] = dashboards
	c[kChart] = int(t.chartStart[dashboards])
	c[kGlossary] = l.Glossary
	c[kEvent] = l.Events
	c[kQuery] = l.Queries
	c[kMetric] = l.Metrics
	c[kDocument] = l.Documents
	c[kCollection] = l.Collections
	c[kQuestion] = l.Questions
	c[kReply] = l.Questions * l.RepliesPerQuestion
	c[kUser] = l.Users
	c[kTeam] = l.Teams
	c[kGroup] = l.Groups
	c[kTag] = l.Tags
	c[kLineage] = 2 * l.LineagePairs // each pair is two records, one per direction
	c[kMonitor] = l.Monitors
	c[kIncident] = l.Incidents
	c[kCustomProperty] = l.CustomProperties
	c[kAuditLog] = l.AuditLog
	return t, c
}

// columnsOf is table t's width: mostly 5 to 40 columns, one table in eight 41 to
// 300 (skewed towards 41), mean about 30; the wide table has WideColumns.
func (l layout) columnsOf(w *Workspace, t, wide int) int {
	if l.Fixed {
		return l.ColumnsPerTable
	}
	if t == wide {
		return l.WideColumns
	}
	u := func(salt uint64) float64 { return float64(w.h(t, salt)>>11) / float64(1<<53) }
	if u(904) < 0.88 {
		return 5 + int(36*math.Pow(u(905), 1.6))
	}
	return min(maxColumns, 41+int(260*math.Pow(u(906), 2.2)))
}

// owner is the parent of child ordinal ord: the i with start[i] <= ord < start[i+1].
func owner(start []int32, ord int) int {
	return sort.Search(len(start)-1, func(i int) bool { return int(start[i+1]) > ord })
}

// --- parents -------------------------------------------------------------------------

// parentOf is the entity a list's parent_id (or an integration, for databases and
// dashboards) names.
func (w *Workspace) parentOf(k kind, ord int) (kind, int, bool) {
	t := &w.tree
	switch k {
	case kDatabase:
		return kIntegration, owner(t.dbStart, ord), true
	case kSchema:
		return kDatabase, owner(t.schemaStart, ord), true
	case kTable:
		return kSchema, owner(t.tableStart, ord), true
	case kColumn:
		return kTable, owner(t.colStart, ord), true
	case kDashboard:
		return kIntegration, t.warehouses + owner(t.dashStart, ord), true
	case kChart:
		return kDashboard, owner(t.chartStart, ord), true
	case kReply:
		return kQuestion, ord / w.lay.RepliesPerQuestion, true
	}
	return 0, 0, false
}

// columnPlace is a column's table and its position in it.
func (w *Workspace) columnPlace(ord int) (table, pos int) {
	table = owner(w.tree.colStart, ord)
	return table, ord - int(w.tree.colStart[table])
}

// childKind is the kind whose parent_id names an entity of kind k.
func childKind(k kind) (kind, bool) {
	switch k {
	case kDatabase:
		return kSchema, true
	case kSchema:
		return kTable, true
	case kTable:
		return kColumn, true
	case kDashboard:
		return kChart, true
	}
	return 0, false
}

// children is the ordinal range of the entities of kind ck whose parent is ordinal po
// of kind pk.
func (w *Workspace) children(pk kind, po int, ck kind) (lo, hi int) {
	t := &w.tree
	var start []int32
	switch {
	case pk == kIntegration && ck == kDatabase && po < t.warehouses:
		start = t.dbStart
	case pk == kIntegration && ck == kDashboard && po >= t.warehouses:
		po -= t.warehouses
		start = t.dashStart
	case pk == kDatabase && ck == kSchema:
		start = t.schemaStart
	case pk == kSchema && ck == kTable:
		start = t.tableStart
	case pk == kTable && ck == kColumn:
		start = t.colStart
	case pk == kDashboard && ck == kChart:
		start = t.chartStart
	default:
		return 0, 0
	}
	return int(start[po]), int(start[po+1])
}

// childCount is children_count: how many entities name this one as their parent.
func (w *Workspace) childCount(k kind, ord int) int {
	ck, ok := childKind(k)
	if !ok {
		return 0
	}
	lo, hi := w.children(k, ord, ck)
	return hi - lo
}

// underIntegration is the ordinal range of kind k extracted from integration i; ok is
// false for kinds that no integration holds.
func (w *Workspace) underIntegration(i int, k kind) (lo, hi int, ok bool) {
	t := &w.tree
	if i < 0 || i >= t.warehouses+t.biTools {
		return 0, 0, true
	}
	if i < t.warehouses {
		d0, d1 := int(t.dbStart[i]), int(t.dbStart[i+1])
		s0, s1 := int(t.schemaStart[d0]), int(t.schemaStart[d1])
		t0, t1 := int(t.tableStart[s0]), int(t.tableStart[s1])
		switch k {
		case kDatabase:
			return d0, d1, true
		case kSchema:
			return s0, s1, true
		case kTable:
			return t0, t1, true
		case kColumn:
			return int(t.colStart[t0]), int(t.colStart[t1]), true
		case kQuery:
			return int(t.queryStart[i]), int(t.queryStart[i+1]), true
		case kDashboard, kChart:
			return 0, 0, true
		}
		return 0, 0, false
	}
	b := i - t.warehouses
	d0, d1 := int(t.dashStart[b]), int(t.dashStart[b+1])
	switch k {
	case kDashboard:
		return d0, d1, true
	case kChart:
		return int(t.chartStart[d0]), int(t.chartStart[d1]), true
	case kDatabase, kSchema, kTable, kColumn, kQuery:
		return 0, 0, true
	}
	return 0, 0, false
}

// integrationOf is the integration an entity was extracted from, or -1.
func (w *Workspace) integrationOf(k kind, ord int) int {
	switch k {
	case kIntegration:
		return ord
	case kDatabase, kSchema, kTable, kColumn, kDashboard, kChart:
		pk, po, _ := w.parentOf(k, ord)
		return w.integrationOf(pk, po)
	case kQuery:
		return owner(w.tree.queryStart, ord)
	}
	return -1
}

func (w *Workspace) integrationType(ord int) string {
	if ord < w.tree.warehouses {
		return warehouseTypes[ord%len(warehouseTypes)]
	}
	return biTypes[(ord-w.tree.warehouses)%len(biTypes)]
}

// ancestor walks up from (k, ord) to the ordinal of the ancestor of kind want.
func (w *Workspace) ancestor(k kind, ord int, want kind) int {
	for k != want {
		pk, po, ok := w.parentOf(k, ord)
		if !ok {
			return 0
		}
		k, ord = pk, po
	}
	return ord
}

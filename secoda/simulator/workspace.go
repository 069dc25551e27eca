package simulator

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Size is how big the simulated workspace is.
type Size string

const (
	Small  Size = "small"  // hundreds of entities: the default, for tests and the demo
	Medium Size = "medium" // tens of thousands: one warehouse's columns pass the 10,000 cap several times
	Large  Size = "large"  // a million catalog entries, generated on the fly
)

// Sizes lists the sizes in order.
var Sizes = []Size{Small, Medium, Large}

// kind is a sort of entity. Each kind owns a contiguous range of the workspace's global
// index, so that an entity is a pure function of (seed, index) and its id can be
// decoded back to that index: nothing is stored until someone changes it.
type kind int

const (
	kIntegration kind = iota
	kDatabase
	kSchema
	kTable
	kColumn
	kDashboard
	kChart
	kGlossary
	kEvent
	kQuery
	kMetric
	kDocument
	kCollection
	kQuestion
	kReply
	kUser
	kTeam
	kGroup
	kTag
	kLineage
	kMonitor
	kIncident
	kCustomProperty
	kAuditLog
	numKinds
)

// The catalog is the contiguous run of kinds from kDatabase to kMetric.
const (
	firstCatalogKind = kDatabase
	lastCatalogKind  = kMetric
)

var kindNames = [numKinds]string{"integration", "database", "schema", "table", "column", "dashboard", "chart",
	"glossary", "event", "query", "metric", "document", "collection", "question", "reply", "user", "team", "group", "tag",
	"lineage", "monitor", "incident", "custom_property", "audit_log"}

func (k kind) String() string { return kindNames[k] }

func isCatalog(k kind) bool { return k >= firstCatalogKind && k <= lastCatalogKind }

// Workspace is a seeded, deterministic Secoda workspace. Entities are computed from
// (seed, index) when asked for; only changes (PATCH, DELETE) are stored, by Server.
// The one thing held is the shape of the tree (how many children each parent has, as
// prefix sums), so that a parent's children are a contiguous range of the index.
type Workspace struct {
	seed   uint64
	size   Size
	lay    layout
	tree   tree
	count  [numKinds]int
	start  [numKinds]int
	total  int
	idMul  uint64 // odd multiplier of the id permutation
	idInv  uint64 // its inverse modulo 2^64
	idMask uint64
	wsID   string
}

// refTime is the workspace's "now": generated timestamps fall in the two years before it.
var refTime = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// NewWorkspace builds the workspace of a size for a seed.
func NewWorkspace(size Size, seed uint64) (*Workspace, error) {
	lay, ok := layouts[size]
	if !ok {
		return nil, fmt.Errorf("unknown size %q: use small, medium or large", size)
	}
	w := &Workspace{seed: seed, size: size, lay: lay}
	w.tree, w.count = lay.grow(w)
	for k := kind(0); k < numKinds; k++ {
		w.start[k] = w.total
		w.total += w.count[k]
	}
	w.idMul = mix64(seed^0xA5A5A5A5A5A5A5A5) | 1
	w.idInv = inverseMod64(w.idMul)
	w.idMask = mix64(seed^0x5bd1e995) & mask62
	w.wsID = uuidString(mix64(seed^0x1234), mix64(seed^0x5678))
	return w, nil
}

// CatalogSize is how many resources the catalog holds before Secoda's cap.
func (w *Workspace) CatalogSize() int {
	n := 0
	for k := firstCatalogKind; k <= lastCatalogKind; k++ {
		n += w.count[k]
	}
	return n
}

// Size is the workspace's size.
func (w *Workspace) Size() Size { return w.size }

// Total is how many entities of every kind it holds.
func (w *Workspace) Total() int { return w.total }

func (w *Workspace) kindOf(idx int) kind {
	for k := numKinds - 1; k >= 0; k-- {
		if idx >= w.start[k] && w.count[k] > 0 {
			return k
		}
	}
	return 0
}

// ordinal is the entity's kind and its place among its kind.
func (w *Workspace) ordinal(idx int) (kind, int) {
	k := w.kindOf(idx)
	return k, idx - w.start[k]
}

func (w *Workspace) index(k kind, ordinal int) int { return w.start[k] + ordinal }

// --- deterministic values -----------------------------------------------------------

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// h is the hash of one field of one entity: each field draws its own value, so any one
// of them (a sort key, say) is computed without the rest.
func (w *Workspace) h(idx int, salt uint64) uint64 {
	return mix64(w.seed ^ mix64(uint64(idx)*0x9E3779B97F4A7C15+salt*0xD1B54A32D192ED03+1))
}

func (w *Workspace) intn(idx int, salt uint64, n int) int {
	if n <= 0 {
		return 0
	}
	return int(w.h(idx, salt) % uint64(n))
}

func (w *Workspace) chance(idx int, salt uint64, p float64) bool {
	return float64(w.h(idx, salt)>>11)/float64(1<<53) < p
}

func pick[T any](w *Workspace, idx int, salt uint64, xs []T) T { return xs[w.intn(idx, salt, len(xs))] }

// --- ids: UUIDs that decode back to their index --------------------------------------

const mask62 = 1<<62 - 1

func inverseMod64(a uint64) uint64 {
	x := a // Newton's iteration: each step doubles the correct low bits
	for range 6 {
		x *= 2 - a*x
	}
	return x
}

func uuidString(hi, lo uint64) string {
	hi = hi&^(0xF<<12) | 0x4<<12 // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // RFC 4122 variant
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// ID is the UUID of the entity at idx. Its low 62 bits are a keyed permutation of idx,
// so lookup needs no table.
func (w *Workspace) ID(idx int) string { return uuidString(w.idBits(idx)) }

// idBits is the id of idx as two numbers, version and variant bits set: comparing them
// orders ids as comparing their text does, without making the text.
func (w *Workspace) idBits(idx int) (hi, lo uint64) {
	hi, lo = w.h(idx, 1), ((uint64(idx)*w.idMul)&mask62)^w.idMask
	return hi&^(0xF<<12) | 0x4<<12, lo&^(0x3<<62) | 0x2<<62
}

// Lookup finds the index of an id, or false for an id this workspace never made
// (including a malformed one).
func (w *Workspace) Lookup(id string) (int, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
		return 0, false
	}
	lo, err := strconv.ParseUint(strings.ReplaceAll(id[19:], "-", ""), 16, 64)
	if err != nil {
		return 0, false
	}
	idx := (((lo & mask62) ^ w.idMask) * w.idInv) & mask62
	if idx >= uint64(w.total) || w.ID(int(idx)) != id {
		return 0, false
	}
	return int(idx), true
}

// --- vocabulary ----------------------------------------------------------------------

var (
	warehouseTypes = []string{"snowflake", "bigquery", "postgres", "redshift", "databricks"}
	biTypes        = []string{"looker", "tableau", "metabase", "mode", "powerbi"}
	tablePrefixes  = []string{"fct", "dim", "stg", "int", "raw", "rpt", "agg"}
	nouns          = []string{"orders", "customers", "payments", "sessions", "events", "invoices", "subscriptions",
		"products", "inventory", "refunds", "accounts", "leads", "campaigns", "shipments", "tickets", "users"}
	oddTitles = []string{`commandes_été`, `売上_日次`, `kundenübersicht`, `📈 revenue_daily`, `customer "VIP" list`,
		`O'Brien's churn model`, `ventas_año_fiscal`, `заказы`, `back\slash_table`, `tab	separated`}
	schemaNames = []string{"public", "analytics", "staging", "marts", "finance", "marketing", "core", "sandbox"}
	dbNames     = []string{"prod", "analytics", "raw", "warehouse", "reporting"}
	columnNames = []string{"id", "created_at", "updated_at", "customer_id", "amount", "status", "email", "country",
		"order_id", "is_active", "total", "currency", "name", "description", "sku", "quantity", "region", "channel"}
	dataTypes    = []string{"varchar", "bigint", "timestamp_ntz", "boolean", "numeric(18,2)", "date", "variant", "float"}
	firstNames   = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Zoë", "José", "Øyvind", "Ngozi", "Hiro", "Priya"}
	lastNames    = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Torvalds", "O'Neil", "Muñoz", "Nakamura", "Okafor"}
	roles        = []string{"admin", "editor", "editor", "viewer", "viewer", "viewer", "guest"}
	colors       = []string{"#E03131", "#2F9E44", "#1971C2", "#F08C00", "#9C36B5", "#0C8599"}
	tagNames     = []string{"PII", "Verified", "Deprecated", "Finance", "Marketing", "Gold", "Tier 1", "Needs review", "Sensitive", "Core"}
	glossaryNoun = []string{"Active user", "Churn", "ARR", "MRR", "Net revenue", "Cohort", "Conversion rate", "LTV", "CAC", "Session"}
	sentences    = []string{
		"Built nightly by dbt from the raw events.",
		"One row per order line; amounts in the order's currency.",
		"Owned by the analytics team. Ask in #data before changing.",
		`Contains "soft-deleted" rows; filter on is_active.`,
		"Replaced by the v2 model in Q3.\nKept for the finance close.",
		"Source of truth for revenue reporting.",
		"Ü, ñ and 漢字 appear in customer names.",
	}
	// propertyDefs are the custom property definitions, cycled: name and type.
	propertyDefs = []struct{ name, typ string }{{"Data steward", "user"}, {"SLA (hours)", "number"}, {"Domain", "select"},
		{"Certified", "boolean"}, {"Review date", "date"}, {"Cost centre", "string"}, {"Tier", "select"}}
	monitorMetrics = []string{"row_count", "freshness", "null_percentage", "cardinality", "mean", "custom_sql"}
	metricNames    = []string{"Weekly active users", "Net revenue retention", "Average order value", "Churn rate",
		"Time to first value", "Gross margin", "Support tickets per account"}
	auditEvents = []string{"resource_created", "resource_updated", "resource_updated", "resource_deleted",
		"permission_changed", "role_assigned", "documentation_updated", "integration_run"}
)

// --- timestamps ----------------------------------------------------------------------

// stampOf is the entity whose timestamps an entity carries: itself, except the
// generated opposite edge of a lineage pair, which was made with its pair.
func (w *Workspace) stampOf(idx int) int {
	if k, ord := w.ordinal(idx); k == kLineage && ord%2 == 1 {
		return idx - 1
	}
	return idx
}

func (w *Workspace) createdAt(idx int) time.Time {
	idx = w.stampOf(idx)
	span := int64(700 * 24 * time.Hour / time.Microsecond)
	return refTime.Add(-time.Duration(int64(w.h(idx, 10)%uint64(span))+int64(time.Hour/time.Microsecond)) * time.Microsecond)
}

func (w *Workspace) generatedUpdatedAt(idx int) time.Time {
	idx = w.stampOf(idx)
	c := w.createdAt(idx)
	span := uint64(refTime.Sub(c) / time.Microsecond)
	return c.Add(time.Duration(w.h(idx, 11)%span) * time.Microsecond)
}

// auditRetention is how far back the audit log goes, in days: "Logs are retained for
// 90 days", and 90 is the default of its days parameter (docs.secoda.co/features/audit-log).
const auditRetention = 90

// auditAt is when audit entry ord happened: newest first, spread over the retention
// window before the workspace's now, so that days=N keeps a prefix of the log.
func (w *Workspace) auditAt(ord int) time.Time {
	n := max(1, w.count[kAuditLog])
	span := int64(auditRetention * 24 * time.Hour / time.Microsecond)
	step := span / int64(n)
	back := int64(ord)*step + int64(w.h(w.index(kAuditLog, ord), 12)%uint64(max(1, step)))
	return refTime.Add(-time.Duration(back+1) * time.Microsecond)
}

// --- titles --------------------------------------------------------------------------

func (w *Workspace) title(idx int) string {
	k, ord := w.ordinal(idx)
	switch k {
	case kIntegration:
		return capitalize(w.integrationType(ord)) + " " + strconv.Itoa(ord+1)
	case kDatabase:
		return dbNames[ord%len(dbNames)] + suffix(ord/len(dbNames))
	case kSchema:
		return schemaNames[ord%len(schemaNames)] + suffix(ord/len(schemaNames))
	case kTable:
		if ord == w.tree.wide {
			return "raw_events_flattened"
		}
		if w.chance(idx, 20, 0.06) {
			return pick(w, idx, 21, oddTitles)
		}
		return pick(w, idx, 22, tablePrefixes) + "_" + pick(w, idx, 23, nouns) + suffix(w.intn(idx, 24, 3))
	case kColumn:
		// Unique within the table: the names cycle from an offset the table draws.
		t, pos := w.columnPlace(ord)
		off := w.intn(w.index(kTable, t), 25, len(columnNames))
		return columnNames[(pos+off)%len(columnNames)] + suffix(pos/len(columnNames))
	case kDashboard:
		if w.chance(idx, 20, 0.08) {
			return pick(w, idx, 21, oddTitles) + " dashboard"
		}
		return capitalize(pick(w, idx, 23, nouns)) + " overview" + suffix(w.intn(idx, 24, 4))
	case kChart:
		return pick(w, idx, 22, []string{"Weekly ", "Daily ", "Monthly ", "Top 10 "}) + pick(w, idx, 23, nouns)
	case kGlossary:
		return glossaryNoun[ord%len(glossaryNoun)] + suffix(ord/len(glossaryNoun))
	case kEvent:
		return pick(w, idx, 23, nouns) + "_" + pick(w, idx, 22, []string{"created", "viewed", "updated", "deleted", "clicked"})
	case kQuery:
		return "select * from " + pick(w, idx, 22, tablePrefixes) + "_" + pick(w, idx, 23, nouns) + " where status = 'open'"
	case kMetric:
		return metricNames[ord%len(metricNames)] + suffix(ord/len(metricNames))
	case kDocument:
		if w.chance(idx, 20, 0.1) {
			return `How we define "active" — FAQ`
		}
		return pick(w, idx, 22, []string{"Runbook: ", "Onboarding: ", "Metric spec: ", "Incident review: "}) + pick(w, idx, 23, nouns)
	case kCollection:
		return pick(w, idx, 22, []string{"Finance", "Growth", "Product analytics", "Data platform", "Exec KPIs", "Été 2026"}) + suffix(ord/6)
	case kQuestion:
		return "Which table has the source of truth for " + pick(w, idx, 23, nouns) + "?"
	}
	return kindNames[k] + " " + strconv.Itoa(ord+1)
}

// capitalize upper-cases the first letter of an ASCII word.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func suffix(n int) string {
	if n == 0 {
		return ""
	}
	return "_" + strconv.Itoa(n+1)
}

// titleFull is the dotted path of a data asset: database.schema.table.column.
func (w *Workspace) titleFull(k kind, ord int) string {
	idx := w.index(k, ord)
	pk, po, ok := w.parentOf(k, ord)
	if !ok || pk == kIntegration || pk == kQuestion {
		return w.title(idx)
	}
	return w.titleFull(pk, po) + "." + w.title(idx)
}

// --- usage: the default sort key, cheap to compute for the whole catalog -------------

func (w *Workspace) externalUsage(idx int) int {
	v := w.h(idx, 30) % 10000
	return int(v * v / 10000) // skewed: most resources are rarely used
}

func (w *Workspace) internalUsage(idx int) int { return int(w.h(idx, 31) % 500) }

// entityType is what the catalog's entity_type and type say of a kind.
func entityType(k kind) string {
	switch k {
	case kGlossary:
		return "glossary"
	case kReply:
		return "question_reply"
	}
	return kindNames[k]
}

// --- ids of related entities ----------------------------------------------------------

func (w *Workspace) ids(k kind, idx int, salt uint64, maxN int) []string {
	n := w.intn(idx, salt, maxN+1)
	if w.count[k] == 0 || n == 0 {
		return []string{}
	}
	out := make([]string, 0, n)
	seen := make(map[int]bool, n)
	for i := range n {
		o := w.intn(idx, salt*131+uint64(i)+1, w.count[k])
		if seen[o] {
			continue
		}
		seen[o] = true
		out = append(out, w.ID(w.index(k, o)))
	}
	return out
}

func (w *Workspace) optionalID(k kind, idx int, salt uint64, p float64) any {
	if w.count[k] == 0 || !w.chance(idx, salt, p) {
		return nil
	}
	return w.ID(w.index(k, w.intn(idx, salt+1, w.count[k])))
}

package simulator

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cachedSet is the ordered result of one list query (filter, sort, params) at one
// version of the workspace, computed once however many pages are asked of it.
type cachedSet struct {
	key   string
	once  sync.Once
	set   []int32 // capped where the route is
	total int     // how many matched before the cap
	err   error
}

const cacheEntries = 16

// paramField is what a per-endpoint query parameter filters on: a record field (or,
// for lineage's integration type, a value only cheapValue knows), and whether the
// parameter takes a list.
type paramField struct {
	field string
	list  bool
}

// paramFields maps parameters onto fields where the names differ. Lineage's __in
// filters are typed as one string in Secoda's reference; a list in one string is
// comma-separated by django-filter's convention (BaseInFilter), and repeated
// parameters are taken too: how Secoda splits them is an open question.
var paramFields = map[string]paramField{
	"integration_id":    {"integration", false},
	"from_entity":       {"from_entity_id", false},
	"to_entity":         {"to_entity_id", false},
	"from_entity__in":   {"from_entity_id", true},
	"to_entity__in":     {"to_entity_id", true},
	"integration__type": {"integration_type", false},
}

// flagParams are parameters that are not field filters.
var flagParams = map[string]bool{"include_archived": true, "only_joined": true, "only_write": true, "days": true, "page_size": true}

// cond is a per-endpoint filter: a query parameter that must equal a field (any of its
// values, for a list parameter).
type cond struct {
	field  string
	values []string
}

func (c cond) node() *filterNode {
	values := make([]any, len(c.values))
	for i, v := range c.values {
		values[i] = v
	}
	return &filterNode{Operator: "in", Field: c.field, value: values}
}

func (c cond) match(get func(string) any) bool {
	return anyElement(get(c.field), func(x any) bool { return x != nil && slices.Contains(c.values, asText(x)) })
}

// listQuery is a list request's query, parsed.
type listQuery struct {
	filter *filterNode
	order  *sortSpec
	teams  string
	conds  []cond
	// include_archived, only_joined, only_write (teams)
	includeArchived, onlyJoined, onlyWrite bool
	// days (the audit log): keep entries from the last so many days; 0 for all.
	days int
}

func (s *Server) parseListQuery(rt *route, q url.Values) (*listQuery, error) {
	lq := &listQuery{}
	var err error
	if rt.catalog {
		if lq.filter, err = parseFilter(q.Get("filter")); err != nil {
			return nil, err
		}
		if lq.order, err = parseSort(q.Get("sort")); err != nil {
			return nil, err
		}
		lq.teams = q.Get("teams")
	}
	for _, p := range rt.params {
		if flagParams[p] {
			continue
		}
		pf, ok := paramFields[p]
		if !ok {
			pf = paramField{field: p}
		}
		var values []string
		for _, v := range q[p] {
			if pf.list {
				for _, part := range strings.Split(v, ",") {
					if part = strings.TrimSpace(part); part != "" {
						values = append(values, part)
					}
				}
			} else if v != "" {
				values = append(values, v)
			}
		}
		if len(values) > 0 {
			lq.conds = append(lq.conds, cond{pf.field, values})
		}
	}
	lq.includeArchived = q.Get("include_archived") == "true"
	lq.onlyJoined = q.Get("only_joined") == "true"
	lq.onlyWrite = q.Get("only_write") == "true"
	if rt.endpoint == "audit_log" {
		lq.days = auditRetention
		if d := q.Get("days"); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil || n < 0 {
				return nil, &badQuery{"days", "A valid integer is required."}
			}
			lq.days = n
		}
	}
	return lq, nil
}

// cacheKey names a query's result at the current version: the parameters that shape it,
// every value of each.
func cacheKey(rt *route, q url.Values, version int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d", rt.endpoint, version)
	names := []string{"filter", "sort", "teams", "include_archived", "only_joined", "only_write", "days"}
	names = append(names, rt.params...)
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		if vs := q[n]; len(vs) > 0 {
			fmt.Fprintf(&b, "|%s=%q", n, vs)
		}
	}
	return b.String()
}

// resultSet returns the indices a list query selects, in order, capped where the route
// is, and how many matched before the cap.
func (s *Server) resultSet(rt *route, q url.Values) ([]int32, int, error) {
	lq, err := s.parseListQuery(rt, q)
	if err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	key := cacheKey(rt, q, s.version)
	var entry *cachedSet
	for i, c := range s.cache {
		if c.key == key {
			entry = c
			copy(s.cache[1:i+1], s.cache[:i]) // move to front
			s.cache[0] = c
			break
		}
	}
	if entry == nil {
		entry = &cachedSet{key: key}
		s.cache = append([]*cachedSet{entry}, s.cache...)
		if len(s.cache) > cacheEntries {
			s.cache = s.cache[:cacheEntries]
		}
	}
	s.mu.Unlock()
	entry.once.Do(func() {
		s.mu.RLock()
		defer s.mu.RUnlock()
		entry.set = s.computeSet(rt, lq)
		entry.total = len(entry.set)
		if rt.capped && s.cap > 0 && len(entry.set) > s.cap {
			entry.set = slices.Clone(entry.set[:s.cap]) // let the uncapped set go
		}
	})
	return entry.set, entry.total, entry.err
}

// evaluator reads the fields of one entity for a filter: cheaply from the index where it
// can, from the rendered record (built once) where it cannot.
type evaluator struct {
	s    *Server
	idx  int
	view view
	rec  record
}

func (e *evaluator) reset(idx int) { e.idx, e.rec = idx, nil }

func (e *evaluator) get(f string) any {
	if v, ok := e.s.valueLocked(e.idx, f, e.view); ok {
		return v
	}
	if e.rec == nil {
		e.rec = e.s.renderLocked(e.idx, e.view)
	}
	v, _ := e.rec.get(f)
	return v
}

// computeSet selects and orders the route's entities. The caller holds s.mu for
// reading. Only the ranges the filter and the parameters can match are scanned (see
// narrow), plus every entity a PATCH changed, which the ranges cannot vouch for.
func (s *Server) computeSet(rt *route, lq *listQuery) []int32 {
	combined := lq.filter
	if len(lq.conds) > 0 {
		and := &filterNode{Operator: "and"}
		if lq.filter != nil {
			and.Operands = append(and.Operands, lq.filter)
		}
		for _, c := range lq.conds {
			and.Operands = append(and.Operands, c.node())
		}
		combined = and
	}
	var candidates []span
	for _, k := range rt.kinds {
		spans, _ := s.ws.narrow(combined, k)
		candidates = append(candidates, spans...)
	}
	candidates = normalizeSpans(candidates)

	ev := &evaluator{s: s, view: rt.view}
	get := ev.get
	var cutoff time.Time
	if lq.days > 0 {
		cutoff = refTime.AddDate(0, 0, -lq.days)
	}
	keep := func(idx int) bool {
		if c := s.changes[idx]; c != nil && c.deleted {
			return false
		}
		ev.reset(idx)
		if lq.filter != nil && !lq.filter.match(get) {
			return false
		}
		if lq.teams != "" && !anyElement(get("teams"), func(x any) bool { return x == lq.teams }) {
			return false
		}
		for _, c := range lq.conds {
			if !c.match(get) {
				return false
			}
		}
		k, ord := s.ws.ordinal(idx)
		if k == kTeam {
			if (!lq.includeArchived && get("archived") == true) || (lq.onlyJoined && ord%3 == 2) || (lq.onlyWrite && ord%2 == 1) {
				return false
			}
		}
		if k == kAuditLog && lq.days > 0 {
			if t, ok := get("created_at").(time.Time); ok && t.Before(cutoff) {
				return false
			}
		}
		return true
	}
	var set []int32
	for _, sp := range candidates {
		for idx := sp.lo; idx < sp.hi; idx++ {
			if keep(idx) {
				set = append(set, int32(idx))
			}
		}
	}
	extra := false
	for idx := range s.changes {
		if !inSpans(candidates, idx) && slices.Contains(rt.kinds, s.ws.kindOf(idx)) && keep(idx) {
			set = append(set, int32(idx))
			extra = true
		}
	}
	if extra {
		slices.Sort(set)
	}
	if lq.order != nil {
		s.sortSet(set, rt.view, lq.order)
	}
	return set
}

// sortKey is one sort field's value, typed once so that comparing is cheap.
type sortKey struct {
	null, isTime, isID bool
	rank               int8    // as rank: numbers, booleans, text and times, the rest
	num                float64 // numbers; booleans as 0 and 1
	micros             int64   // times, in microseconds (every timestamp is truncated to them)
	hi, lo             uint64  // a generated id, as idBits
	text               string  // text, and the rest as text
}

func makeSortKey(v any) sortKey {
	if v == nil {
		return sortKey{null: true}
	}
	k := sortKey{rank: int8(rank(v))}
	switch x := v.(type) {
	case int:
		k.num = float64(x)
	case float64:
		k.num = x
	case bool:
		if x {
			k.num = 1
		}
	case time.Time:
		k.isTime, k.micros = true, x.UnixMicro()
	default:
		k.text = asText(v)
	}
	return k
}

func (k sortKey) asText() string {
	switch {
	case k.isTime:
		return formatTime(time.UnixMicro(k.micros))
	case k.isID:
		return uuidString(k.hi, k.lo)
	}
	return k.text
}

// compareKeys orders as compareValues does: numbers by value, text and timestamps by
// their text, false before true, nulls last.
func compareKeys(a, b *sortKey) int {
	switch {
	case a.null && b.null:
		return 0
	case a.null:
		return 1
	case b.null:
		return -1
	case a.rank != b.rank:
		return int(a.rank) - int(b.rank)
	case a.rank == 0 || a.rank == 1:
		return cmp.Compare(a.num, b.num)
	case a.isTime && b.isTime:
		return cmp.Compare(a.micros, b.micros)
	case a.isID && b.isID:
		if a.hi != b.hi {
			return cmp.Compare(a.hi, b.hi)
		}
		return cmp.Compare(a.lo, b.lo)
	}
	return strings.Compare(a.asText(), b.asText())
}

// sortSet orders indices by the sort spec and its tie breakers, then by index, so
// that pages never overlap.
func (s *Server) sortSet(set []int32, v view, order *sortSpec) {
	var specs []*sortSpec
	for sp := order; sp != nil; sp = sp.TieBreaker {
		specs = append(specs, sp)
	}
	n := len(specs)
	keys := make([]sortKey, len(set)*n)
	ev := &evaluator{s: s, view: v}
	for i, idx := range set {
		ev.reset(int(idx))
		for j, sp := range specs {
			if sp.Field == "id" { // read-only: a PATCH never changes it
				hi, lo := s.ws.idBits(int(idx))
				keys[i*n+j] = sortKey{isID: true, rank: 2, hi: hi, lo: lo}
				continue
			}
			keys[i*n+j] = makeSortKey(ev.get(sp.Field))
		}
	}
	perm := make([]int32, len(set))
	for i := range perm {
		perm[i] = int32(i)
	}
	desc := make([]bool, n)
	for j, sp := range specs {
		desc[j] = sp.Order == "desc"
	}
	slices.SortFunc(perm, func(x, y int32) int {
		a, b := int(x)*n, int(y)*n
		for j := range n {
			c := compareKeys(&keys[a+j], &keys[b+j])
			if desc[j] {
				// PostgreSQL: DESC puts nulls first; compareKeys puts them last,
				// so reversing it is all it takes.
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return int(set[x] - set[y])
	})
	sorted := make([]int32, len(set))
	for i, p := range perm {
		sorted[i] = set[p]
	}
	copy(set, sorted)
}

// valueLocked reads one field cheaply where it can, changes included.
func (s *Server) valueLocked(idx int, field string, v view) (any, bool) {
	if c := s.changes[idx]; c != nil {
		key := field
		if field == "parent" && v == viewDetail {
			key = "parent_id"
		}
		if val, ok := c.fields.get(key); ok {
			return val, true
		}
		if field == "updated_at" && !c.updatedAt.IsZero() {
			return c.updatedAt, true
		}
	}
	return s.ws.cheapValue(idx, field, v)
}

// renderLocked builds a record with its changes applied. The caller holds s.mu.
func (s *Server) renderLocked(idx int, v view) record {
	rec := s.ws.render(idx, v)
	if c := s.changes[idx]; c != nil {
		for _, f := range c.fields {
			k := f.k
			if k == "parent_id" && v == viewDetail {
				k = "parent"
			}
			if _, ok := rec.get(k); ok { // a field of another view stays there
				rec = rec.set(k, f.v)
			}
		}
		if !c.updatedAt.IsZero() {
			if _, ok := rec.get("updated_at"); ok {
				rec = rec.set("updated_at", c.updatedAt)
			}
		}
	}
	return rec
}

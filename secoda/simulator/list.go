package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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
	key  string
	once sync.Once
	set  []int32
	err  error
}

const cacheEntries = 16

// resultSet returns the indices a list query selects, in order, capped for the catalog.
func (s *Server) resultSet(rt *route, q url.Values) ([]int32, error) {
	var filter *filterNode
	var order *sortSpec
	var err error
	if rt.catalog {
		if filter, err = parseFilter(q.Get("filter")); err != nil {
			return nil, err
		}
		if order, err = parseSort(q.Get("sort")); err != nil {
			return nil, err
		}
	}
	var params []string
	if rt.catalog && q.Get("teams") != "" {
		params = append(params, "teams="+q.Get("teams"))
	}
	for _, p := range rt.params {
		if v := q.Get(p); v != "" {
			params = append(params, p+"="+v)
		}
	}
	s.mu.Lock()
	key := fmt.Sprintf("%s|%s|%s|%s|%d", rt.endpoint, q.Get("filter"), q.Get("sort"), strings.Join(params, "&"), s.version)
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
		entry.set, entry.err = s.computeSet(rt, q, filter, order)
	})
	return entry.set, entry.err
}

// computeSet scans the route's kinds. The caller holds s.mu for reading.
func (s *Server) computeSet(rt *route, q url.Values, filter *filterNode, order *sortSpec) ([]int32, error) {
	teams := ""
	if rt.catalog {
		teams = q.Get("teams")
	}
	var conds []cond
	for _, p := range rt.params {
		v := q.Get(p)
		switch {
		case v == "":
		case p == "include_archived" || p == "only_joined" || p == "only_write":
			// flags, handled below
		default:
			field := p
			if a, ok := fieldAlias[p]; ok {
				field = a
			}
			conds = append(conds, cond{field, v})
		}
	}
	isTeams := slices.Equal(rt.kinds, []kind{kTeam})
	includeArchived := q.Get("include_archived") == "true"
	onlyJoined := q.Get("only_joined") == "true"
	onlyWrite := q.Get("only_write") == "true"
	needRecord := filter != nil || teams != "" || len(conds) > 0 || isTeams

	var set []int32
	for _, k := range rt.kinds {
		for idx := s.ws.start[k]; idx < s.ws.start[k]+s.ws.count[k]; idx++ {
			if c := s.changes[idx]; c != nil && c.deleted {
				continue
			}
			if needRecord {
				rec := s.renderLocked(idx, rt.view)
				get := func(f string) any { v, _ := rec.get(f); return v }
				if filter != nil && !filter.match(get) {
					continue
				}
				if teams != "" && !anyElement(get("teams"), func(x any) bool { return x == teams }) {
					continue
				}
				if !matchAll(conds, get) {
					continue
				}
				if isTeams {
					ord := idx - s.ws.start[kTeam]
					if (!includeArchived && get("archived") == true) || (onlyJoined && ord%3 == 2) || (onlyWrite && ord%2 == 1) {
						continue
					}
				}
			}
			set = append(set, int32(idx))
		}
	}
	if order != nil {
		s.sortSet(set, rt.view, order)
	}
	if rt.catalog && s.cap > 0 && len(set) > s.cap {
		set = set[:s.cap]
	}
	return set, nil
}

// cond is a per-endpoint filter: a query parameter that must equal a field.
type cond struct{ field, value string }

func matchAll(conds []cond, get func(string) any) bool {
	for _, c := range conds {
		if !anyElement(get(c.field), func(x any) bool { return x != nil && asText(x) == c.value }) {
			return false
		}
	}
	return true
}

// sortSet orders indices by the sort spec and its tie breakers, then by index, so
// that pages never overlap.
func (s *Server) sortSet(set []int32, v view, order *sortSpec) {
	var specs []*sortSpec
	for sp := order; sp != nil; sp = sp.TieBreaker {
		specs = append(specs, sp)
	}
	type item struct {
		idx  int32
		keys []any
	}
	items := make([]item, len(set))
	for i, idx := range set {
		ks := make([]any, len(specs))
		var rec record
		for j, sp := range specs {
			val, ok := s.valueLocked(int(idx), sp.Field, v)
			if !ok {
				if rec == nil {
					rec = s.renderLocked(int(idx), v)
				}
				val, _ = rec.get(sp.Field)
			}
			ks[j] = val
		}
		items[i] = item{idx, ks}
	}
	slices.SortFunc(items, func(a, b item) int {
		for j, sp := range specs {
			c := compareValues(a.keys[j], b.keys[j])
			if sp.Order == "desc" {
				// PostgreSQL: DESC puts nulls first; compareValues puts them last,
				// so reversing it is all it takes.
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return int(a.idx - b.idx)
	})
	for i, it := range items {
		set[i] = it.idx
	}
}

// valueLocked reads one field cheaply where it can, changes included.
func (s *Server) valueLocked(idx int, field string, v view) (any, bool) {
	if c := s.changes[idx]; c != nil {
		if val, ok := c.fields.get(field); ok {
			return val, true
		}
		if field == "updated_at" && !c.updatedAt.IsZero() {
			return c.updatedAt, true
		}
	}
	if v == viewColumnList && field == "type" {
		return nil, false
	}
	return s.ws.cheapValue(idx, field)
}

// renderLocked builds a record with its changes applied. The caller holds s.mu.
func (s *Server) renderLocked(idx int, v view) record {
	rec := s.ws.render(idx, v)
	if c := s.changes[idx]; c != nil {
		for _, f := range c.fields {
			rec = rec.set(f.k, f.v)
		}
		if !c.updatedAt.IsZero() {
			if _, ok := rec.get("updated_at"); ok {
				rec = rec.set("updated_at", c.updatedAt)
			}
		}
	}
	return rec
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request, rt *route, f *Faults) {
	q := r.URL.Query()
	page := 1
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
			return
		}
		page = n
	}
	set, err := s.resultSet(rt, q)
	if err != nil {
		if bq, ok := err.(*badQuery); ok {
			writeJSON(w, http.StatusBadRequest, map[string][]string{bq.param: {bq.msg}})
			return
		}
		writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
		return
	}
	count := len(set)
	totalPages := max(1, (count+s.pageSize-1)/s.pageSize)
	if page > totalPages {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
		return
	}
	lo, hi := (page-1)*s.pageSize, min(count, page*s.pageSize)
	faulty := f.appliesTo(rt.endpoint)

	recs := make([]record, 0, hi-lo)
	s.mu.RLock()
	for _, idx := range set[lo:hi] {
		recs = append(recs, s.renderLocked(int(idx), rt.view))
	}
	s.mu.RUnlock()
	if faulty && f.TypeChangeFromPage > 0 && page >= f.TypeChangeFromPage {
		name := f.TypeChangeField
		if name == "" {
			name = "total_usage"
		}
		for i, rec := range recs {
			if v, ok := rec.get(name); ok && v != nil {
				recs[i] = rec.set(name, fmt.Sprintf("%v (approx.)", v))
			}
		}
	}

	nextPage, prevPage := 0, 0
	if page < totalPages {
		nextPage = page + 1
	}
	if faulty && f.LoopAtPage == page {
		nextPage = 1
	}
	if page > 1 {
		prevPage = page - 1
	}
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	if faulty && f.NextLinkBase != "" {
		base = f.NextLinkBase
	}
	link := func(n int) any {
		if n == 0 {
			return nil
		}
		return base + r.URL.EscapedPath() + "?" + withPageQuery(r.URL.RawQuery, n)
	}
	meta := record{{"page", page}, {"previous_page", zeroNil(prevPage)}, {"next_page", zeroNil(nextPage)}}
	env := record{
		{"links", record{{"next", link(nextPage)}, {"previous", link(prevPage)}}},
		{"meta", meta},
		{"count", count},
		{"total_pages", totalPages},
		{"results", recs},
	}
	body := appendRecord(make([]byte, 0, 2048*len(recs)+512), env)
	if faulty && s.draw(f.MalformedRate) {
		s.malformed.Add(1)
		body = body[:len(body)/2]
	}
	writeBody(w, http.StatusOK, body)
}

// withPageQuery sets page in a raw query, keeping every other parameter as written.
func withPageQuery(raw string, page int) string {
	var parts []string
	for _, p := range strings.Split(raw, "&") {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		if k == "page" {
			continue
		}
		parts = append(parts, p)
	}
	return strings.Join(append(parts, "page="+strconv.Itoa(page)), "&")
}

func zeroNil(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

// serveBare answers with every entity as one JSON array (custom properties).
func (s *Server) serveBare(w http.ResponseWriter, rt *route) {
	var recs []record
	s.mu.RLock()
	for _, k := range rt.kinds {
		for idx := s.ws.start[k]; idx < s.ws.start[k]+s.ws.count[k]; idx++ {
			if c := s.changes[idx]; c != nil && c.deleted {
				continue
			}
			recs = append(recs, s.renderLocked(idx, rt.view))
		}
	}
	s.mu.RUnlock()
	if recs == nil {
		recs = []record{}
	}
	writeBody(w, http.StatusOK, appendValue(nil, recs))
}

// serveOne answers GET, PATCH, PUT and DELETE of one entity.
func (s *Server) serveOne(w http.ResponseWriter, r *http.Request, rt *route, id string) {
	idx, ok := s.ws.Lookup(id)
	if ok {
		ok = slices.Contains(rt.kinds, s.ws.kindOf(idx))
	}
	s.mu.RLock()
	if c := s.changes[idx]; ok && c != nil && c.deleted {
		ok = false
	}
	s.mu.RUnlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.mu.RLock()
		rec := s.renderLocked(idx, rt.detail)
		s.mu.RUnlock()
		writeBody(w, http.StatusOK, appendRecord(nil, rec))
	case http.MethodPatch, http.MethodPut:
		var body map[string]json.RawMessage
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		if err := dec.Decode(&body); err != nil || body == nil {
			writeJSON(w, http.StatusBadRequest, map[string][]string{"non_field_errors": {"Invalid data. Expected a dictionary."}})
			return
		}
		rec := s.patch(idx, rt.detail, body)
		writeBody(w, http.StatusOK, appendRecord(nil, rec))
	case http.MethodDelete:
		s.mu.Lock()
		c := s.changeLocked(idx)
		c.deleted = true
		s.version++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, PATCH, PUT, DELETE")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": fmt.Sprintf("Method %q not allowed.", r.Method)})
	}
}

// readOnlyFields are ignored in a PATCH, as Secoda's serializers do.
var readOnlyFields = map[string]bool{"id": true, "created_at": true, "updated_at": true, "workspace_id": true, "entity_type": true}

// patch applies the fields the record has (others are ignored, as a DRF serializer
// ignores unknown fields) and moves updated_at to now, always forward.
func (s *Server) patch(idx int, v view, body map[string]json.RawMessage) record {
	s.mu.Lock()
	defer s.mu.Unlock()
	current := s.renderLocked(idx, v)
	c := s.changeLocked(idx)
	for k, raw := range body {
		if readOnlyFields[k] {
			continue
		}
		if _, ok := current.get(k); !ok {
			continue
		}
		c.fields = c.fields.set(k, decodePatchValue(raw))
	}
	if hasUpdatedAt(s.ws.kindOf(idx)) {
		// Forward, always: past this entity's own time and every earlier patch, even
		// with a clock behind the generated data.
		now := s.now().UTC().Truncate(time.Microsecond)
		if prev, ok := current.get("updated_at"); ok {
			if t, ok := prev.(time.Time); ok && !now.After(t) {
				now = t.Add(time.Microsecond)
			}
		}
		if !now.After(s.lastPatch) {
			now = s.lastPatch.Add(time.Microsecond)
		}
		s.lastPatch = now
		c.updatedAt = now
	}
	s.version++
	return s.renderLocked(idx, v)
}

func (s *Server) changeLocked(idx int) *change {
	c := s.changes[idx]
	if c == nil {
		c = &change{}
		s.changes[idx] = c
	}
	return c
}

// decodePatchValue keeps a patched value in the simulator's own types, so that it
// filters and sorts like a generated one.
func decodePatchValue(raw json.RawMessage) any {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	switch x := v.(type) {
	case nil, string, bool:
		return x
	case float64:
		if x == float64(int(x)) {
			return int(x)
		}
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return rawJSON(bytes.TrimSpace(raw))
			}
			out = append(out, s)
		}
		return out
	}
	return rawJSON(bytes.TrimSpace(raw))
}

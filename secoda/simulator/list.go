package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxPageSize bounds the audit log's page_size, as a DRF paginator's max_page_size
// would; Secoda's bound is an open question.
const maxPageSize = 1000

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
	pageSize := s.pageSize
	if rt.pageSizeParam {
		// Documented only for the audit log; a bad value falls back to the default,
		// as DRF's paginator does.
		if n, err := strconv.Atoi(q.Get("page_size")); err == nil && n > 0 {
			pageSize = min(n, maxPageSize)
		}
	}
	set, total, err := s.resultSet(rt, q)
	if err != nil {
		if bq, ok := err.(*badQuery); ok {
			writeJSON(w, http.StatusBadRequest, map[string][]string{bq.param: {bq.msg}})
			return
		}
		writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
		return
	}
	pagesOf := func(n int) int { return max(1, (n+pageSize-1)/pageSize) }
	// The pages that can be served end at the cap, whatever the envelope says.
	served := pagesOf(len(set))
	mode := CapCount
	if rt.capped {
		mode = s.capMode
	}
	count, totalPages := len(set), served
	if mode == CapTotal {
		count, totalPages = total, pagesOf(total)
	}
	if page > served {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
		return
	}
	lo, hi := (page-1)*pageSize, min(len(set), page*pageSize)
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
	if page < served {
		nextPage = page + 1
	}
	if faulty && f.LoopAtPage == page {
		nextPage = 1
	}
	if page > 1 {
		prevPage = page - 1
	}
	link := s.pageLinker(r, rt, f, faulty)
	var env record
	if rt.drf {
		env = record{{"count", count}, {"next", link(nextPage)}, {"previous", link(prevPage)}, {"results", recs}}
	} else {
		meta := record{{"page", page}, {"previous_page", zeroNil(prevPage)}, {"next_page", zeroNil(nextPage)}}
		if rt.metaCounts && mode != CapHidden {
			meta = append(meta, field{"count", count}, field{"total_pages", totalPages})
		}
		env = record{{"links", record{{"next", link(nextPage)}, {"previous", link(prevPage)}}}, {"meta", meta}}
		if mode != CapHidden {
			env = append(env, field{"count", count}, field{"total_pages", totalPages})
		}
		env = append(env, field{"results", recs})
	}
	body := appendRecord(make([]byte, 0, 2048*len(recs)+512), env)
	if faulty && s.draw(f.MalformedRate) {
		s.malformed.Add(1)
		body = body[:len(body)/2]
	}
	writeBody(w, http.StatusOK, body)
}

// pageLinker makes a page's links as Secoda's doc samples print them: absolute, on the
// request's scheme and host, the path without the /api/v1 prefix and with a trailing
// slash ("https://api.secoda.co/resource/all/?page=2"), every other query parameter
// kept as written. The audit log's sample keeps the prefix
// ("https://api.secoda.co/api/v1/notification/workspace/?page=2"), so its links do.
func (s *Server) pageLinker(r *http.Request, rt *route, f *Faults, faulty bool) func(page int) any {
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	if faulty && f.NextLinkBase != "" {
		base = f.NextLinkBase
	}
	p := strings.Trim(r.URL.EscapedPath(), "/")
	p = strings.Trim(strings.TrimPrefix(p, "api/v1"), "/")
	path := "/" + p + "/"
	if rt.drf {
		path = "/api/v1" + path
	}
	return func(n int) any {
		if n == 0 {
			return nil
		}
		return base + path + "?" + withPageQuery(r.URL.RawQuery, n)
	}
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

// readOnlyFields are ignored in a PATCH, as Secoda's serializers do. entity_type is
// writable here (whether Secoda lets it be is not documented), so that a test can move
// a resource from one entity type's partition to another's.
var readOnlyFields = map[string]bool{"id": true, "created_at": true, "updated_at": true, "workspace_id": true}

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
		// A detail's parent is the lists' parent_id: one field, kept under the lists' name.
		if k == "parent" && v == viewDetail {
			k = "parent_id"
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

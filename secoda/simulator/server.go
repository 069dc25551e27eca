// Package simulator is a faithful, seeded Secoda API for tests, demos and benchmarks.
//
// Server is an http.Handler that answers as the documented API does: paths under
// /api/v1 or bare, with or without a trailing slash; bearer auth; the list envelope with
// absolute next links; the catalog's filter and sort and its 10,000-resource cap (with
// a choice of what the envelope says past it, since the docs do not say); per-endpoint
// filters; GET, PATCH and DELETE of one entity; and, on request, rate limits and
// faults. Records have the shapes Secoda's public sources show (see the README's
// section on the simulator). The workspace behind it is computed from a seed, so two
// servers with the same seed and size answer the same, and the large size serves a
// million catalog entries without holding them.
package simulator

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// Defaults of the documented API.
const (
	DefaultPageSize   = 50
	DefaultCatalogCap = 10_000
)

// Options configure a Server. The zero value of each field takes its default.
type Options struct {
	Size Size   // small (default), medium or large
	Seed uint64 // the same seed gives the same workspace
	// APIKeys are the bearer tokens the server accepts; at least one.
	APIKeys []string
	// PageSize is the fixed page size (50).
	PageSize int
	// CatalogCap is how many resources the catalog returns across pages (10,000);
	// negative for no cap.
	CatalogCap int
	// CapMode is what a capped list's envelope says of the resources past the cap,
	// which Secoda's docs do not: count (default), total or hidden.
	CapMode CapMode
	// CapLists caps the deprecated per-type lists (table/tables, table/columns,
	// dashboard/charts) and the resource/all list like the catalog. Whether Secoda
	// caps them is not documented; off by default.
	CapLists bool
	// RateLimit is requests per key per Minute; 0 for none.
	RateLimit int
	// Minute is the rate limit's window; tests shorten it. Default one minute.
	Minute time.Duration
	// RetryAfter is how a 429 says when to come back (seconds by default).
	RetryAfter RetryAfterMode
	Faults     Faults
	// Now is the clock for PATCH timestamps and rate windows; time.Now by default.
	Now func() time.Time
	// Logger gets one line per request (method, path, status). The key is never logged.
	Logger *slog.Logger
}

// CapMode is what a capped list's envelope says when the cap cuts the result short.
type CapMode string

const (
	// CapCount: count and total_pages describe the capped set, so a client cannot
	// tell it was cut.
	CapCount CapMode = "count"
	// CapTotal: count and total_pages give the true size, but the pages still end at
	// the cap: links.next is null on the page that reaches it and later pages answer
	// 404 "Invalid page.".
	CapTotal CapMode = "total"
	// CapHidden: no count and no total_pages at all; the pages end at the cap.
	CapHidden CapMode = "hidden"
)

// CapModes lists the modes, for help and errors.
var CapModes = []CapMode{CapCount, CapTotal, CapHidden}

// Stats counts what the server has answered.
type Stats struct {
	Requests     int64 // API requests, healthchecks excluded
	OK           int64
	RateLimited  int64 // 429s
	ServerErrors int64 // injected 5xx
	Dropped      int64
	Malformed    int64
	Unauthorized int64
}

// Server is the simulated API. It is safe for concurrent use.
type Server struct {
	ws       *Workspace
	keys     atomic.Pointer[[][]byte]
	pageSize int
	cap      int
	capMode  CapMode
	now      func() time.Time
	log      *slog.Logger
	routes   map[string]*route

	faults atomic.Pointer[Faults]

	limitMu    sync.Mutex
	rateLimit  int
	minute     time.Duration
	retryAfter RetryAfterMode
	windows    map[string]*window

	rngMu sync.Mutex
	rng   *rand.Rand

	mu        sync.RWMutex // guards changes, version, cache, lastPatch
	changes   map[int]*change
	version   int
	cache     []*cachedSet
	lastPatch time.Time

	requests, ok, rateLimited, serverErrors, dropped, malformed, unauthorized atomic.Int64
}

// change is what PATCH and DELETE did to one entity.
type change struct {
	fields    record
	updatedAt time.Time
	deleted   bool
}

// New builds a Server.
func New(opts Options) (*Server, error) {
	if opts.Size == "" {
		opts.Size = Small
	}
	ws, err := NewWorkspace(opts.Size, opts.Seed)
	if err != nil {
		return nil, err
	}
	if len(opts.APIKeys) == 0 {
		return nil, fmt.Errorf("the simulator needs at least one API key to accept")
	}
	s := &Server{
		ws:         ws,
		pageSize:   opts.PageSize,
		cap:        opts.CatalogCap,
		now:        opts.Now,
		log:        opts.Logger,
		rateLimit:  opts.RateLimit,
		minute:     opts.Minute,
		retryAfter: opts.RetryAfter,
		windows:    map[string]*window{},
		rng:        rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9E3779B97F4A7C15)),
		changes:    map[int]*change{},
	}
	if err := s.SetAPIKeys(opts.APIKeys...); err != nil {
		return nil, err
	}
	if s.pageSize <= 0 {
		s.pageSize = DefaultPageSize
	}
	if s.cap == 0 {
		s.cap = DefaultCatalogCap
	}
	s.capMode = opts.CapMode
	if s.capMode == "" {
		s.capMode = CapCount
	}
	if !slices.Contains(CapModes, s.capMode) {
		return nil, fmt.Errorf("cap mode %q: use count, total or hidden", s.capMode)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.minute <= 0 {
		s.minute = time.Minute
	}
	if s.retryAfter == "" {
		s.retryAfter = RetryAfterSeconds
	}
	switch s.retryAfter {
	case RetryAfterSeconds, RetryAfterDate, RetryAfterZero, RetryAfterNone:
	default:
		return nil, fmt.Errorf("retry-after %q: use seconds, date, zero or none", s.retryAfter)
	}
	f := opts.Faults
	s.faults.Store(&f)
	s.routes = buildRoutes(opts.CapLists)
	return s, nil
}

// Workspace is the data behind the server.
func (s *Server) Workspace() *Workspace { return s.ws }

// SetFaults changes the faults of a running server.
func (s *Server) SetFaults(f Faults) { s.faults.Store(&f) }

// SetRateLimit changes the rate limit (requests per window) of a running server.
func (s *Server) SetRateLimit(perMinute int, retryAfter RetryAfterMode) {
	s.limitMu.Lock()
	defer s.limitMu.Unlock()
	s.rateLimit = perMinute
	if retryAfter != "" {
		s.retryAfter = retryAfter
	}
	s.windows = map[string]*window{}
}

// Stats reports what the server has answered so far.
func (s *Server) Stats() Stats {
	return Stats{
		Requests: s.requests.Load(), OK: s.ok.Load(), RateLimited: s.rateLimited.Load(),
		ServerErrors: s.serverErrors.Load(), Dropped: s.dropped.Load(), Malformed: s.malformed.Load(),
		Unauthorized: s.unauthorized.Load(),
	}
}

// --- routes ----------------------------------------------------------------------------

// route is one endpoint as the simulator serves it.
type route struct {
	endpoint string // catalog name, for fault selection
	kinds    []kind
	list     bool // serves a paginated list
	bare     bool // serves the whole list as a bare array
	catalog  bool // takes filter, sort, teams
	capped   bool // the catalog's cap applies
	view     view // how entities appear in the list
	detail   view // how one entity appears at path/{id}
	params   []string
	// metaCounts repeats count and total_pages inside meta, as the newer endpoints'
	// samples (auth/teams, lineage/manual) show.
	metaCounts bool
	// drf is the audit log's envelope as its sample shows it: count, next, previous
	// and results at the top level; pageSizeParam honours page_size, documented there
	// only.
	drf, pageSizeParam bool
}

var catalogKinds = func() []kind {
	var ks []kind
	for k := firstCatalogKind; k <= lastCatalogKind; k++ {
		ks = append(ks, k)
	}
	return ks
}()

// endpointKinds maps each catalog endpoint onto the kinds it lists.
var endpointKinds = map[string][]kind{
	"resource_catalog": catalogKinds,
	"resource_detail":  append(slices.Clone(catalogKinds), kDocument, kCollection, kQuestion),
	"document":         {kDocument},
	"collection":       {kCollection},
	"integration":      {kIntegration},
	"table":            {kTable},
	"column":           {kColumn},
	"dashboard":        {kDashboard},
	"chart":            {kChart},
	"glossary_term":    {kGlossary},
	"question":         {kQuestion},
	"question_reply":   {kReply},
	"event":            {kEvent},
	"user":             {kUser},
	"team":             {kTeam},
	"group":            {kGroup},
	"tag":              {kTag},
	"lineage":          {kLineage},
	"monitor":          {kMonitor},
	"monitor_incident": {kIncident},
	"custom_property":  {kCustomProperty},
	"audit_log":        {kAuditLog},
}

// cappableLists are the deprecated per-type lists CapLists caps (and resource/all,
// routed apart below).
var cappableLists = map[string]bool{"table": true, "column": true, "chart": true}

// buildRoutes derives the routes from secoda.Endpoints, the one catalog, plus the
// documented aliases.
func buildRoutes(capLists bool) map[string]*route {
	routes := map[string]*route{}
	for _, e := range secoda.Endpoints {
		kinds := endpointKinds[e.Name]
		path := strings.TrimSuffix(e.Path, "/{id}")
		if e.Parent != "" { // a detail endpoint: resource/all/{id}; resource/all lists like the catalog
			routes[path] = &route{endpoint: e.Name, kinds: kinds, list: true, catalog: true, capped: capLists,
				view: viewList, detail: viewDetail}
			continue
		}
		r := &route{endpoint: e.Name, kinds: kinds, list: e.Paginated, bare: !e.Paginated, catalog: e.CatalogQuery,
			capped: e.CatalogQuery || capLists && cappableLists[e.Name], view: viewList, detail: viewList, params: e.Params,
			metaCounts: e.Name == "team" || e.Name == "lineage", drf: e.Name == "audit_log", pageSizeParam: e.Name == "audit_log"}
		routes[path] = r
	}
	// resource/all lists the catalog; its {id} shows any resource in full.
	routes["resource/all"].kinds = endpointKinds["resource_detail"]
	routes["document/documents"] = routes["document"]
	routes["query/queries"] = &route{endpoint: "query", kinds: []kind{kQuery}, detail: viewDetail}
	return routes
}

// Walk calls fn with every live (not deleted) entity of a catalog endpoint, such as
// "resource_catalog" or "document", as that endpoint's list shows it with no query
// parameters (auth/teams hides archived teams, as its list does), changes applied,
// uncapped, in the workspace's order, decoded as encoding/json decodes the list's JSON.
// resource_detail walks the catalog as resource/all/{id} shows each resource. It
// stops when fn returns false; an unknown endpoint walks nothing. Tests count with it
// independently of the code under test.
func (s *Server) Walk(endpoint string, fn func(rec map[string]any) bool) {
	var rt *route
	for _, r := range s.routes {
		if r.endpoint == endpoint && (r.list || r.bare) {
			rt = r
			break
		}
	}
	v := viewList
	if endpoint == "resource_detail" {
		rt, v = &route{endpoint: endpoint, kinds: catalogKinds, list: true}, viewDetail
	}
	if rt == nil {
		return
	}
	lq, err := s.parseListQuery(rt, nil)
	if err != nil {
		return
	}
	lq.order = nil // the workspace's order: sorting a million entries is not the point
	s.mu.RLock()
	set := s.computeSet(rt, lq)
	s.mu.RUnlock()
	for _, idx := range set {
		s.mu.RLock()
		c := s.changes[int(idx)]
		live := c == nil || !c.deleted
		var b []byte
		if live {
			b = appendRecord(nil, s.renderLocked(int(idx), v))
		}
		s.mu.RUnlock()
		if !live {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal(b, &rec); err != nil {
			panic(fmt.Sprintf("simulator: a record does not decode: %v", err))
		}
		if !fn(rec) {
			return
		}
	}
}

// --- serving -----------------------------------------------------------------------------

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	start := time.Now()
	s.serve(rec, r)
	s.log.Info("simulator", "method", r.Method, "path", r.URL.Path, "status", rec.status, "ms", time.Since(start).Milliseconds())
}

func (s *Server) serve(w *statusRecorder, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	path = strings.TrimPrefix(strings.TrimPrefix(path, "api/v1"), "/")
	if path == "healthcheck" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
		return
	}
	s.requests.Add(1)
	if !s.authorized(w, r) {
		s.unauthorized.Add(1)
		return
	}
	if !s.allow(w, r) {
		s.rateLimited.Add(1)
		return
	}
	rt, id := s.match(path)
	f := s.faults.Load()
	endpoint := ""
	if rt != nil {
		endpoint = rt.endpoint
	}
	if f.appliesTo(endpoint) {
		if !s.delay(r, f) {
			return
		}
		if s.draw(f.DropRate) {
			s.dropped.Add(1)
			dropConnection(w)
			return
		}
		if s.draw(f.ServerErrorRate) {
			s.serverErrors.Add(1)
			serverError(w, s.intn(3))
			return
		}
	}
	if rt == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
		return
	}
	switch {
	case id != "":
		s.serveOne(w, r, rt, id)
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", "GET")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": fmt.Sprintf("Method %q not allowed.", r.Method)})
	case rt.bare:
		s.serveBare(w, rt)
	case rt.list:
		s.serveList(w, r, rt, f)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
	}
	if w.status < 300 {
		s.ok.Add(1)
	}
}

// match finds the route of a path: a list ("table/tables") or one entity
// ("table/tables/<id>").
func (s *Server) match(path string) (*route, string) {
	if rt, ok := s.routes[path]; ok {
		return rt, ""
	}
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		if rt, ok := s.routes[path[:i]]; ok {
			return rt, path[i+1:]
		}
	}
	return nil, ""
}

// SetCatalogCap changes a running server's cap (negative: none): a test's way of making
// a workspace grow past a cap between two runs.
func (s *Server) SetCatalogCap(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cap = n
	s.version++ // what was computed under the old cap is not served again
}

// SetAPIKeys changes the keys a running server accepts: a key rotated, or revoked.
func (s *Server) SetAPIKeys(keys ...string) error {
	var ks [][]byte
	for _, k := range keys {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("an accepted API key is empty")
		}
		ks = append(ks, []byte(k))
	}
	if len(ks) == 0 {
		return fmt.Errorf("the simulator needs at least one API key to accept")
	}
	s.keys.Store(&ks)
	return nil
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Authentication credentials were not provided."})
		return false
	}
	scheme, token, _ := strings.Cut(h, " ")
	if strings.EqualFold(scheme, "Bearer") {
		for _, k := range *s.keys.Load() {
			if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), k) == 1 {
				return true
			}
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Invalid token."})
	return false
}

// window is one key's fixed rate-limit window.
type window struct {
	start time.Time
	n     int
}

// allow applies the rate limit; on refusal it has written the 429.
func (s *Server) allow(w http.ResponseWriter, r *http.Request) bool {
	s.limitMu.Lock()
	limit, minute, mode := s.rateLimit, s.minute, s.retryAfter
	if limit <= 0 {
		s.limitMu.Unlock()
		return true
	}
	now := s.now()
	key := r.Header.Get("Authorization")
	win := s.windows[key]
	if win == nil || now.Sub(win.start) >= minute {
		win = &window{start: now}
		s.windows[key] = win
	}
	win.n++
	ok := win.n <= limit
	if !ok {
		win.n-- // refused requests do not use up the window
	}
	wait := win.start.Add(minute).Sub(now)
	s.limitMu.Unlock()
	if ok {
		return true
	}
	secs := int(math.Ceil(wait.Seconds()))
	switch mode {
	case RetryAfterSeconds:
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	case RetryAfterDate:
		w.Header().Set("Retry-After", now.Add(wait).UTC().Format(http.TimeFormat))
	case RetryAfterZero:
		w.Header().Set("Retry-After", "0")
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]string{
		"detail": fmt.Sprintf("Request was throttled. Expected available in %d seconds.", secs)})
	return false
}

// delay sleeps the injected latency; false when the client went away meanwhile.
func (s *Server) delay(r *http.Request, f *Faults) bool {
	d := f.Latency
	if f.LatencyJitter > 0 {
		d += time.Duration(s.int64n(int64(f.LatencyJitter)))
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (s *Server) draw(p float64) bool {
	if p <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < p
}

func (s *Server) intn(n int) int {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.IntN(n)
}

func (s *Server) int64n(n int64) int64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Int64N(n)
}

func dropConnection(w *statusRecorder) {
	w.status = -1
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

func serverError(w http.ResponseWriter, which int) {
	switch which {
	case 0:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": "A server error occurred."})
	case 1: // a load balancer's page, not JSON
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n"))
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("upstream connect error or disconnect/reset before headers\n"))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"detail":"encoding failed"}`)
	}
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

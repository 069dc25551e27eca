// Package dashboard is `show`: a local web page of the pipeline — its loads, its
// schema drawn as a diagram, a table browser and a SQL box — served from the binary on
// loopback, with a random token in the URL. Pages are rendered on the server from
// embedded templates and SVG the program draws; nothing comes from anywhere else. Every
// request opens the DuckDB file read-only and closes it, so a run can load meanwhile.
package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/httpserve"
	"github.com/secoda-workbench/secoda-workbench/internal/loopback"
	"github.com/secoda-workbench/secoda-workbench/internal/table"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

//go:embed web
var web embed.FS

// Limits of the pages: rows per page of the browser, rows of a SQL answer,
// the time a request may take, and the bytes of a POST's body (a query is far smaller).
const (
	PageSize      = 50
	SQLLimit      = 500
	RequestBudget = 30 * time.Second
	BodyLimit     = 1 << 20
)

const (
	// formTokenField is the SQL form's hidden field that carries the form token.
	formTokenField = "form_token"
)

// Server is the dashboard of one project.
type Server struct {
	plan  *pipeline.Plan
	dest  dest.Destination
	token string
	// formToken proves a POST /sql came from the SQL page this server rendered.
	formToken string
	tmpl      *template.Template
	mux       *http.ServeMux
	// queries counts the queries the SQL page and the API ran: what a request refused
	// as another page's must not add to.
	queries atomic.Int64
}

// New makes the dashboard of a plan and its destination, with a fresh random token.
func New(plan *pipeline.Plan, d dest.Destination) (*Server, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{"kB": kB}).ParseFS(web, "web/*.html")
	if err != nil {
		return nil, err
	}
	token := hex.EncodeToString(b)
	s := &Server{plan: plan, dest: d, token: token, formToken: formTokenOf(token), tmpl: tmpl, mux: http.NewServeMux()}
	static, _ := fs.Sub(web, "web")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.overviewPage)
	s.mux.HandleFunc("GET /schema", s.schemaPage)
	s.mux.HandleFunc("GET /data", s.dataPage)
	s.mux.HandleFunc("GET /runs", s.runsPage)
	s.mux.HandleFunc("GET /api/runs", s.apiRuns)
	s.mux.HandleFunc("GET /sql", s.sqlPage)
	s.mux.HandleFunc("POST /sql", s.sqlPage)
	s.mux.HandleFunc("GET /api/overview", s.apiOverview)
	s.mux.HandleFunc("GET /api/schema", s.apiSchema)
	s.mux.HandleFunc("GET /api/rows", s.apiRows)
	s.mux.HandleFunc("POST /api/query", s.apiQuery)
	return s, nil
}

// kB says a size in bytes as the pages do: 4 kB, 1 MB.
func kB(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d kB", n>>10)
}

// Token is the secret every request carries, in its URL.
func (s *Server) Token() string { return s.token }

// formTokenOf derives the SQL form's token from the session token. A page of another
// origin cannot read it (it cannot read the dashboard's pages), and the one-way
// derivation means the form token, written into every SQL page, does not give the
// session token away.
func formTokenOf(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("secoda-workbench dashboard: the SQL form"))
	return hex.EncodeToString(m.Sum(nil))
}

// Serve listens on addr, which must be a loopback address ("127.0.0.1:0" picks a free
// port), and serves until ctx ends. ready, when set, is told the URL to open, token
// included, once the server listens.
func (s *Server) Serve(ctx context.Context, addr string, ready func(url string)) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: give host:port, such as 127.0.0.1:8080 (port 0 picks a free one)", addr)
	}
	if !loopback.Host(host) {
		return fmt.Errorf("--addr %s: the dashboard listens on this machine only; give 127.0.0.1:PORT or localhost:PORT", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is another program on that port? port 0 picks a free one)", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready(s.URL(ln.Addr().String()))
	}
	return httpserve.Serve(ctx, srv, ln)
}

// URL is the address of the overview on host:port, with the token.
func (s *Server) URL(hostPort string) string {
	return "http://" + hostPort + s.link("/", nil)
}

// ServeHTTP checks the Host header (a page elsewhere that rebinds its own name to
// 127.0.0.1 gets nothing), the token, and that the request comes from the dashboard's
// own pages (see fromOwnPages), then serves.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if !loopback.Host(host) {
		http.Error(w, "forbidden: the dashboard answers only to 127.0.0.1 or localhost", http.StatusForbidden)
		return
	}
	// The token is in the URL of every page, link, form and stylesheet, and in no
	// cookie: a browser sends a cookie of 127.0.0.1 to every port of it, so a server
	// another user runs on this machine would be handed it by any page of its that
	// the browser opened.
	got := r.URL.Query().Get("token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
		http.Error(w, "forbidden: open the URL `secoda-workbench show` printed (it carries this run's token)", http.StatusForbidden)
		return
	}
	if err := fromOwnPages(r); err != nil {
		http.Error(w, "forbidden: "+err.Error(), http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: the token in a page's URL still goes to no other
	// origin, and the browser names the dashboard's origin in the Origin of its own
	// form posts (under no-referrer it sends "Origin: null", which fromOwnPages refuses).
	w.Header().Set("Referrer-Policy", "same-origin")
	s.mux.ServeHTTP(w, r)
}

// fromOwnPages refuses a request that a page other than the dashboard's own made the
// browser send, even with the token: a page of another program cannot read the token
// (it is in no cookie, and the Referrer-Policy keeps it to the dashboard's own
// origin), and should it learn it, it still cannot post the SQL form or call the API.
// The origin (scheme, host and port) tells the pages apart — every port of 127.0.0.1
// is the same *site* — and browsers say it:
//
//   - Origin, sent with every POST and every cross-origin fetch, must be the
//     dashboard's own origin: http:// and the Host the browser addressed (checked to be
//     loopback already). "null" (a sandboxed or privacy-stripped origin) is refused too.
//   - Sec-Fetch-Site, sent with every request to a loopback address by current
//     browsers, must be same-origin; or none (the address bar, a bookmark, `show`
//     opening the URL) on a GET. A GET from a page of another site or port is served
//     only as a top-level navigation: a link, carrying the token, followed by someone
//     who has it; not a fetch, a frame or an image.
//   - A request with neither header, POST included, is not from a browser (browsers
//     send Origin on every POST): it is curl or a script, so the token it carries is
//     proof enough and the JSON API stays usable from the command line. The SQL form's
//     token (POST /sql) and the JSON content type (POST /api/query, which no page of
//     another origin can send without a CORS preflight the dashboard never grants)
//     still apply to it.
func fromOwnPages(r *http.Request) error {
	own := "http://" + r.Host
	if r.TLS != nil {
		own = "https://" + r.Host
	}
	if origin := r.Header.Get("Origin"); origin != "" && origin != own {
		return fmt.Errorf("this request came from a page of %s, not of the dashboard (%s); the dashboard answers only its own pages", origin, own)
	}
	safe := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin":
		return nil
	case "none":
		if safe {
			return nil
		}
		return fmt.Errorf("a %s the browser sent on its own (Sec-Fetch-Site: none) is refused; submit the dashboard's own form", r.Method)
	case "same-site", "cross-site":
		if safe && r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document" {
			return nil
		}
		return fmt.Errorf("the browser says a page of another origin sent this request (Sec-Fetch-Site: %s); the dashboard answers only its own pages, and links to it carrying the token printed by `secoda-workbench show`", site)
	default:
		return fmt.Errorf("unknown Sec-Fetch-Site %q; the dashboard answers only its own pages", site)
	}
}

// mediaType is the request's Content-Type without its parameters ("" when unparsable).
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// bodyTooLarge says whether err is http.MaxBytesReader's refusal, and what to say then.
func bodyTooLarge(err error) (string, bool) {
	var tooLarge *http.MaxBytesError
	if !errors.As(err, &tooLarge) {
		return "", false
	}
	return fmt.Sprintf("request entity too large: the body is over the limit of %d MiB", BodyLimit>>20), true
}

// link builds a URL of the dashboard with the token.
func (s *Server) link(path string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	q.Set("token", s.token)
	return path + "?" + q.Encode()
}

type navItem struct {
	Name, Href string
	Current    bool
}

// page is what every page's layout needs.
type page struct {
	Title, Token, Pipeline, Dataset, Location string
	Nav                                       []navItem
}

func (s *Server) page(title string) page {
	p := page{Title: title, Token: s.token, Pipeline: s.plan.PipelineName, Dataset: s.plan.DatasetName,
		Location: s.dest.Type() + ":" + s.dest.Location()}
	for _, n := range []struct{ name, path string }{{"Overview", "/"}, {"Runs", "/runs"}, {"Schema", "/schema"}, {"Data", "/data"}, {"SQL", "/sql"}} {
		p.Nav = append(p.Nav, navItem{Name: n.name, Href: s.link(n.path, nil), Current: n.name == title})
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.tmpl.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func (s *Server) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), RequestBudget)
}

// --- overview -------------------------------------------------------------------------

type loadRow struct {
	LoadID, Status, Started, Duration       string
	Records, Requests, Retries, RateLimited int64
	Rows                                    []tableRows
	seconds                                 float64
	total                                   int64
}

type tableRows struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

type cursorRow struct{ Resource, Field, Value string }

type overview struct {
	page
	View          *pipeline.View
	RunsHref      string // the last run's trace, when it failed
	Loaded        bool
	Loads         []loadRow
	Chart         template.HTML
	Cursors       []cursorRow
	TableCount    int
	TotalRows     int64
	SchemaVersion int
	Health        *pipeline.Health
	HealthLines   []string
}

// overview renders the pipeline's View (pipeline.ReadView), which `status` and
// pipeline_status render too.
func (s *Server) overview(ctx context.Context) (*overview, error) {
	o := &overview{page: s.page("Overview")}
	v, err := pipeline.ReadView(ctx, s.plan, s.dest, s.plan.Dir)
	if err != nil {
		return nil, err
	}
	o.View, o.Health, o.HealthLines = v, v.Health, v.Health.Lines()
	if len(v.Runs) > 0 && v.Runs[0].Error != "" {
		r := v.Runs[0]
		o.HealthLines = append(o.HealthLines, fmt.Sprintf("The last run (%s) %s: %s. %s.", r.RunID, strings.ToUpper(r.Outcome), r.Error, r.Next))
		o.RunsHref = s.link("/runs", url.Values{"id": {r.RunID}})
	}
	if !v.Loaded {
		return o, nil
	}
	o.Loaded, o.SchemaVersion, o.TableCount, o.TotalRows = true, v.SchemaVersion, v.DataTables, v.DataRows
	for res, fields := range v.Cursors {
		for f, val := range fields {
			o.Cursors = append(o.Cursors, cursorRow{res, f, val})
		}
	}
	sort.Slice(o.Cursors, func(i, j int) bool { return o.Cursors[i].Resource < o.Cursors[j].Resource })
	for _, l := range v.Loads {
		lr := loadRow{LoadID: l.LoadID, Status: l.Status, Records: l.Records, Requests: l.Requests, Retries: l.Retries, RateLimited: l.RateLimited,
			Started: "-", Duration: "-"}
		if !l.StartedAt.IsZero() {
			lr.Started = l.StartedAt.Local().Format("2006-01-02 15:04:05")
			lr.seconds = l.Seconds
			lr.Duration = time.Duration(l.Seconds * float64(time.Second)).Round(10 * time.Millisecond).String()
		}
		for t, n := range l.Rows {
			lr.Rows = append(lr.Rows, tableRows{t, n})
			lr.total += n
		}
		sort.Slice(lr.Rows, func(i, j int) bool { return lr.Rows[i].Name < lr.Rows[j].Name })
		o.Loads = append(o.Loads, lr)
	}
	var points []loadPoint
	for i := len(o.Loads) - 1; i >= 0; i-- { // oldest first
		l := o.Loads[i]
		points = append(points, loadPoint{Label: shortLoad(l.LoadID), Rows: l.total, Seconds: l.seconds})
	}
	o.Chart = loadChart(points)
	return o, nil
}

// shortLoad labels a load by its time of day.
func shortLoad(id string) string {
	sec, err := strconv.ParseFloat(id, 64)
	if err != nil {
		return id
	}
	return time.Unix(int64(sec), 0).Local().Format("01-02 15:04:05")
}

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	o, err := s.overview(ctx)
	if err != nil {
		s.failPage(w, "Overview", err)
		return
	}
	s.render(w, "overview.html", o)
}

// failPage shows an error plainly, in the page's frame.
func (s *Server) failPage(w http.ResponseWriter, title string, err error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	status := http.StatusInternalServerError
	if errors.Is(err, dest.ErrInUse) {
		status = http.StatusServiceUnavailable
	}
	w.WriteHeader(status)
	_ = s.tmpl.ExecuteTemplate(w, "top", s.page(title))
	fmt.Fprintf(w, `<p class="err" id="error">%s</p>`, template.HTMLEscapeString(err.Error()))
	_ = s.tmpl.ExecuteTemplate(w, "bottom", nil)
}

// --- schema ---------------------------------------------------------------------------

type schemaTable struct {
	Name, Parent, Disposition, Href string
	Rows                            int64
	Columns                         []*normalize.Column
}

type schemaPage struct {
	page
	Loaded  bool
	Tables  []schemaTable
	Diagram template.HTML
}

func (s *Server) schema(ctx context.Context) (*schemaPage, error) {
	sp := &schemaPage{page: s.page("Schema")}
	stored, err := s.dest.ReadStored(ctx, s.plan.PipelineName, s.plan.SchemaName)
	if err != nil || stored.Schema == nil {
		return sp, err
	}
	counts, err := s.dest.TableRows(ctx)
	if err != nil {
		return nil, err
	}
	sp.Loaded = true
	var nodes []node
	for _, name := range stored.Schema.TableNames() {
		t := stored.Schema.Tables[name]
		href := s.link("/data", url.Values{"table": {name}})
		sp.Tables = append(sp.Tables, schemaTable{Name: name, Parent: t.Parent, Disposition: t.Disposition, Href: href, Rows: counts[name], Columns: t.Columns})
		nodes = append(nodes, node{Name: name, Parent: t.Parent, Href: href, Rows: counts[name], Columns: len(t.Columns)})
	}
	sp.Diagram = schemaDiagram(nodes)
	return sp, nil
}

func (s *Server) schemaPage(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	sp, err := s.schema(ctx)
	if err != nil {
		s.failPage(w, "Schema", err)
		return
	}
	s.render(w, "schema.html", sp)
}

// --- data -----------------------------------------------------------------------------

type column struct{ Name, SortHref, Arrow string }

type dataPage struct {
	page
	Loaded                  bool
	Tables                  []string
	Table, Sort, Dir, Error string
	Columns                 []column
	Rows                    [][]string
	Page, Pages             int
	From, To, Total         int64
	PrevHref, NextHref      string
	raw                     *dest.QueryResult
}

// rows reads one page of a table, sorted by one of its columns. The table and the
// column must exist (they are checked, then quoted), so nothing of the URL reaches the
// SQL unchecked.
func (s *Server) rows(ctx context.Context, q url.Values) (*dataPage, error) {
	dp := &dataPage{page: s.page("Data"), Page: 1}
	counts, err := s.dest.TableRows(ctx)
	if errors.Is(err, dest.ErrNoData) {
		return dp, nil
	}
	if err != nil {
		return nil, err
	}
	dp.Loaded = true
	for t := range counts {
		dp.Tables = append(dp.Tables, t)
	}
	sort.Slice(dp.Tables, func(i, j int) bool {
		if dest.IsSystemTable(dp.Tables[i]) != dest.IsSystemTable(dp.Tables[j]) {
			return !dest.IsSystemTable(dp.Tables[i])
		}
		return dp.Tables[i] < dp.Tables[j]
	})
	dp.Table = q.Get("table")
	if dp.Table == "" && len(dp.Tables) > 0 {
		dp.Table = dp.Tables[0]
	}
	if _, ok := counts[dp.Table]; !ok {
		if dp.Table != "" {
			dp.Error = fmt.Sprintf("no table %q in the dataset", dp.Table)
		}
		dp.Table = ""
		return dp, nil
	}
	dp.Total = counts[dp.Table]
	probe, err := s.dest.Browse(ctx, dest.Page{Table: dp.Table, Bounds: dest.Rows(1)}) // for the columns
	if err != nil {
		return nil, err
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		dp.Page = n
	}
	dp.Pages = int(max(1, (dp.Total+PageSize-1)/PageSize))
	dp.Page = min(dp.Page, dp.Pages)
	dp.Sort, dp.Dir = q.Get("sort"), strings.ToLower(q.Get("dir"))
	if dp.Dir != "desc" {
		dp.Dir = "asc"
	}
	offset := int64(dp.Page-1) * PageSize
	page := dest.Page{Table: dp.Table, Offset: offset, Bounds: dest.Rows(PageSize), Desc: dp.Dir == "desc"}
	if dp.Sort != "" {
		found := false
		for _, c := range probe.Columns {
			found = found || c == dp.Sort
		}
		if !found {
			dp.Error = fmt.Sprintf("no column %q in %s", dp.Sort, dp.Table)
			dp.Sort = ""
		} else {
			page.Sort = dp.Sort
		}
	}
	res, err := s.dest.Browse(ctx, page)
	if err != nil {
		return nil, err
	}
	dp.raw = res
	for _, c := range probe.Columns {
		dir, arrow := "asc", ""
		if c == dp.Sort {
			if dp.Dir == "asc" {
				dir, arrow = "desc", " ▲"
			} else {
				arrow = " ▼"
			}
		}
		dp.Columns = append(dp.Columns, column{Name: c, Arrow: arrow, SortHref: s.link("/data", url.Values{"table": {dp.Table}, "sort": {c}, "dir": {dir}})})
	}
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = cut(table.Text(v), 120)
		}
		dp.Rows = append(dp.Rows, cells)
	}
	dp.From, dp.To = min(offset+1, dp.Total), offset+int64(len(res.Rows))
	nav := func(p int) string {
		v := url.Values{"table": {dp.Table}, "page": {strconv.Itoa(p)}}
		if dp.Sort != "" {
			v.Set("sort", dp.Sort)
			v.Set("dir", dp.Dir)
		}
		return s.link("/data", v)
	}
	if dp.Page > 1 {
		dp.PrevHref = nav(dp.Page - 1)
	}
	if dp.Page < dp.Pages {
		dp.NextHref = nav(dp.Page + 1)
	}
	return dp, nil
}

func (s *Server) dataPage(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	dp, err := s.rows(ctx, r.URL.Query())
	if err != nil {
		s.failPage(w, "Data", err)
		return
	}
	s.render(w, "data.html", dp)
}

// --- SQL ------------------------------------------------------------------------------

type sqlPage struct {
	page
	SQL, Error, FormToken string
	Limit                 int
	Bounds                dest.Bounds // of an answer, as the page says them
	Result                *dest.QueryResult
	Cells                 [][]string
}

func (s *Server) sqlPage(w http.ResponseWriter, r *http.Request) {
	sp := &sqlPage{page: s.page("SQL"), Limit: SQLLimit, Bounds: dest.Rows(SQLLimit), FormToken: s.formToken,
		SQL: "SELECT entity_type, count(*) AS resources FROM resource_catalog GROUP BY 1 ORDER BY 2 DESC"}
	if r.Method == http.MethodPost {
		// Only what the SQL page's form sends: its encoding, its size, its token.
		if mt := mediaType(r); mt != "application/x-www-form-urlencoded" {
			http.Error(w, fmt.Sprintf("unsupported media type: POST /sql takes the SQL page's form (application/x-www-form-urlencoded), not %q", r.Header.Get("Content-Type")), http.StatusUnsupportedMediaType)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, BodyLimit)
		if err := r.ParseForm(); err != nil {
			if msg, ok := bodyTooLarge(err); ok {
				http.Error(w, msg, http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get(formTokenField)), []byte(s.formToken)) != 1 {
			http.Error(w, "forbidden: the SQL form's token is missing or wrong; run the query from the dashboard's SQL page", http.StatusForbidden)
			return
		}
		sp.SQL = r.PostForm.Get("q")
		ctx, cancel := s.ctx(r)
		defer cancel()
		res, err := s.query(ctx, sp.SQL)
		if err != nil {
			sp.Error = err.Error()
		} else {
			sp.Result = res
			for _, row := range res.Rows {
				cells := make([]string, len(row))
				for i, v := range row {
					cells[i] = cut(table.Text(v), 200)
				}
				sp.Cells = append(sp.Cells, cells)
			}
		}
	}
	s.render(w, "sql.html", sp)
}

// query runs the SQL of the SQL page or of POST /api/query.
func (s *Server) query(ctx context.Context, sql string) (*dest.QueryResult, error) {
	s.queries.Add(1)
	return s.dest.Query(ctx, sql, dest.Rows(SQLLimit))
}

// --- JSON API -------------------------------------------------------------------------

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, dest.ErrInUse):
		status = http.StatusServiceUnavailable
	case errors.Is(err, dest.ErrNoData):
		status = http.StatusNotFound
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	o, err := s.overview(ctx)
	if err != nil {
		apiError(w, err)
		return
	}
	type load struct {
		LoadID      string      `json:"load_id"`
		Status      string      `json:"status"`
		Started     string      `json:"started"`
		Seconds     float64     `json:"seconds"`
		Records     int64       `json:"records"`
		Rows        []tableRows `json:"rows"`
		Retries     int64       `json:"retries"`
		RateLimited int64       `json:"rate_limited"`
	}
	out := struct {
		Loaded  bool                `json:"loaded"`
		Loads   []load              `json:"loads"`
		Cursors []map[string]string `json:"cursors"`
		Tables  int                 `json:"tables"`
		Rows    int64               `json:"rows"`
		Runs    []pipeline.RunView  `json:"runs"`
		*pipeline.Health
	}{Loaded: o.Loaded, Tables: o.TableCount, Rows: o.TotalRows, Loads: []load{}, Cursors: []map[string]string{}, Runs: o.View.Runs, Health: o.Health}
	for _, l := range o.Loads {
		out.Loads = append(out.Loads, load{l.LoadID, l.Status, l.Started, l.seconds, l.Records, l.Rows, l.Retries, l.RateLimited})
	}
	for _, c := range o.Cursors {
		out.Cursors = append(out.Cursors, map[string]string{"resource": c.Resource, "field": c.Field, "value": c.Value})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiSchema(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	sp, err := s.schema(ctx)
	if err != nil {
		apiError(w, err)
		return
	}
	type tbl struct {
		Name        string              `json:"name"`
		Parent      string              `json:"parent,omitempty"`
		Disposition string              `json:"write_disposition,omitempty"`
		Rows        int64               `json:"rows"`
		Columns     []*normalize.Column `json:"columns"`
	}
	out := []tbl{}
	for _, t := range sp.Tables {
		out = append(out, tbl{t.Name, t.Parent, t.Disposition, t.Rows, t.Columns})
	}
	writeJSON(w, http.StatusOK, map[string]any{"loaded": sp.Loaded, "tables": out})
}

func (s *Server) apiRows(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	dp, err := s.rows(ctx, r.URL.Query())
	if err == nil && !dp.Loaded {
		err = fmt.Errorf("%w: run `secoda-workbench run` first", dest.ErrNoData)
	}
	if err == nil && dp.Error != "" {
		err = errors.New(dp.Error)
	}
	if err != nil {
		apiError(w, err)
		return
	}
	rows := []map[string]any{}
	if dp.raw != nil {
		rows = table.Objects(dp.raw.Columns, dp.raw.Rows)
	}
	writeJSON(w, http.StatusOK, map[string]any{"table": dp.Table, "page": dp.Page, "pages": dp.Pages, "total": dp.Total, "sort": dp.Sort, "dir": dp.Dir, "rows": rows})
}

// apiQuery takes JSON only: a page of another origin can send text/plain or a form
// without asking, but application/json needs a CORS preflight, which the dashboard
// never grants.
func (s *Server) apiQuery(w http.ResponseWriter, r *http.Request) {
	if mt := mediaType(r); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": fmt.Sprintf(
			"unsupported media type: POST /api/query takes Content-Type: application/json (a body of {\"sql\": \"...\"}), not %q", r.Header.Get("Content-Type"))})
		return
	}
	var in struct {
		SQL string `json:"sql"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, BodyLimit)).Decode(&in); err != nil {
		if msg, ok := bodyTooLarge(err); ok {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": msg + `; POST /api/query takes {"sql": "..."}`})
			return
		}
		apiError(w, fmt.Errorf("the body must be {\"sql\": \"...\"}: %w", err))
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	res, err := s.query(ctx, in.SQL)
	if err != nil {
		apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"columns": res.Columns, "rows": table.Objects(res.Columns, res.Rows), "truncated": res.Truncated, "cut_cells": res.CutCells})
}

// --- Runs -------------------------------------------------------------------------------

// runsPage is the Runs page: every run that left a trace, failed ones included, or one
// run's trace (?id=), the same facts `secoda-workbench trace` and get_run_trace show.
type runsPage struct {
	page
	Kept     int
	Runs     []runRow
	Trace    *pipeline.Trace
	Text     string
	ListHref string
}

type runRow struct {
	RunID, Started, Outcome, Error, Href string
	Seconds                              float64
	Requests, Retries                    int64
}

func (s *Server) runs(id string) (*runsPage, error) {
	rp := &runsPage{page: s.page("Runs"), Kept: pipeline.TracesKept, ListHref: s.link("/runs", nil)}
	if id != "" {
		t, err := pipeline.FindTrace(s.plan, id)
		if err != nil {
			return nil, err
		}
		rp.Trace, rp.Text = t, t.Text()
		return rp, nil
	}
	traces, err := pipeline.Traces(s.plan, 0)
	if err != nil {
		return nil, err
	}
	for _, t := range traces {
		row := runRow{RunID: t.RunID, Started: t.StartedAt.Local().Format("2006-01-02 15:04:05"), Outcome: t.Outcome, Seconds: t.Seconds,
			Requests: t.Requests, Retries: t.Retries, Href: s.link("/runs", url.Values{"id": {t.RunID}})}
		if t.Error != nil {
			row.Error = t.Error.Kind + " at " + t.Error.Step
		}
		rp.Runs = append(rp.Runs, row)
	}
	return rp, nil
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request) {
	rp, err := s.runs(r.URL.Query().Get("id"))
	if err != nil {
		s.failPage(w, "Runs", err)
		return
	}
	s.render(w, "runs.html", rp)
}

// apiRuns is GET /api/runs: the runs, or one run's trace (?id=).
func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	if id := r.URL.Query().Get("id"); id != "" {
		t, err := pipeline.FindTrace(s.plan, id)
		if err != nil {
			apiError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
		return
	}
	traces, err := pipeline.Traces(s.plan, 0)
	if err != nil {
		apiError(w, err)
		return
	}
	if traces == nil {
		traces = []pipeline.Trace{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": traces})
}

package dashboard

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// fixture is a project loaded twice from the simulator (the second load after a
// change), and its dashboard.
type fixture struct {
	s    *Server
	plan *pipeline.Plan
	key  string
	sim  *httptest.Server
}

func newKey(t testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// project writes a config pointing at a fresh simulator; from page 2 on the catalog's
// total_usage turns to text, so the schema has a variant column.
func project(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{key: newKey(t)}
	sim, err := simulator.New(simulator.Options{Seed: 11, APIKeys: []string{f.key}, Faults: simulator.Faults{TypeChangeFromPage: 2}})
	if err != nil {
		t.Fatal(err)
	}
	f.sim = httptest.NewServer(sim)
	t.Cleanup(f.sim.Close)
	dir := t.TempDir()
	cfg := fmt.Sprintf("[source]\nbase_url = %q\nrate_limit = 0\n\n[resources.resource_catalog]\n[resources.document]\n[resources.collection]\n[resources.integration]\n", f.sim.URL+"/api/v1")
	path := filepath.Join(dir, pipeline.ConfigFileName)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if f.plan, err = pipeline.LoadConfig(path); err != nil {
		t.Fatal(err)
	}
	dst, err := pipeline.OpenDestination(f.plan, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.s, err = New(f.plan, dst); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) run(t testing.TB) *pipeline.LoadInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	info, err := pipeline.Run(ctx, f.plan, pipeline.RunOptions{APIKey: f.key, BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// patch renames a collection in the simulator, as a Secoda user would.
func (f *fixture) patch(t testing.TB) {
	t.Helper()
	res, err := f.s.dest.Query(context.Background(), "SELECT id FROM collection ORDER BY id LIMIT 1", dest.Rows(1))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PATCH", f.sim.URL+"/api/v1/collection/collections/"+res.Rows[0][0].(string), strings.NewReader(`{"title": "Renamed <b>bold</b>"}`))
	req.Header.Set("Authorization", "Bearer "+f.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PATCH: %s", resp.Status)
	}
}

// loadedProject is a fixture loaded twice: the whole workspace, then a renamed
// collection.
func loadedProject(t *testing.T) *fixture {
	t.Helper()
	f := project(t)
	f.run(t)
	f.patch(t)
	f.run(t)
	return f
}

// request sends one request to the dashboard as a browser on this machine would.
type request struct {
	method, path, token, cookie, host, contentType string
	body                                           string
	header                                         map[string]string
}

type response struct {
	status int
	body   string
	header http.Header
}

func (f *fixture) do(t testing.TB, r request) response {
	t.Helper()
	if r.method == "" {
		r.method = "GET"
	}
	target := r.path
	if r.token != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "token=" + url.QueryEscape(r.token)
	}
	req := httptest.NewRequest(r.method, target, strings.NewReader(r.body))
	req.Host = "127.0.0.1:8123"
	if r.host != "" {
		req.Host = r.host
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: cookieName, Value: r.cookie})
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.s.ServeHTTP(w, req)
	return response{w.Code, w.Body.String(), w.Header()}
}

// get is a GET with the right token that must answer 200.
func (f *fixture) get(t testing.TB, path string) string {
	t.Helper()
	res := f.do(t, request{path: path, token: f.s.Token()})
	if res.status != 200 {
		t.Fatalf("GET %s: %d %s", path, res.status, res.body)
	}
	return res.body
}

// form is the body of the SQL page's form with query q, its form token included.
func (f *fixture) form(q string) string {
	return url.Values{"q": {q}, formTokenField: {f.s.formToken}}.Encode()
}

// routes are every page and API the dashboard serves.
func (f *fixture) routes() []request {
	return []request{
		{method: "GET", path: "/"},
		{method: "GET", path: "/schema"},
		{method: "GET", path: "/runs"},
		{method: "GET", path: "/api/runs"},
		{method: "GET", path: "/data?table=resource_catalog"},
		{method: "GET", path: "/sql"},
		{method: "POST", path: "/sql", body: f.form("SELECT 1"), contentType: "application/x-www-form-urlencoded"},
		{method: "GET", path: "/api/overview"},
		{method: "GET", path: "/api/schema"},
		{method: "GET", path: "/api/rows?table=resource_catalog"},
		{method: "POST", path: "/api/query", body: `{"sql": "SELECT 1"}`, contentType: "application/json"},
		{method: "GET", path: "/static/style.css"},
	}
}

func TestEveryRouteNeedsTheToken(t *testing.T) {
	f := loadedProject(t)
	for _, r := range f.routes() {
		name := r.method + " " + r.path
		for _, bad := range []struct{ why, token, cookie, host string }{
			{why: "no token"},
			{why: "wrong token", token: newKey(t)},
			{why: "wrong cookie", cookie: newKey(t)},
			{why: "the token in a cookie, not the URL", cookie: f.s.Token()},
			{why: "token of the wrong length", token: f.s.Token()[:10]},
			{why: "another host (DNS rebinding)", token: f.s.Token(), host: "attacker.example:8123"},
		} {
			r := r
			r.token, r.cookie, r.host = bad.token, bad.cookie, bad.host
			res := f.do(t, r)
			if res.status != http.StatusForbidden {
				t.Errorf("%s, %s: status %d, want 403", name, bad.why, res.status)
			}
			if strings.Contains(res.body, "resource_catalog") || res.header.Get("Set-Cookie") != "" {
				t.Errorf("%s, %s: a refusal gave something away: %q %v", name, bad.why, res.body, res.header)
			}
		}
		r.token = f.s.Token()
		if res := f.do(t, r); res.status != 200 {
			t.Errorf("%s with the token: %d %s", name, res.status, res.body)
		}
	}
}

// cookieName is the cookie the dashboard set before it carried its token in URLs only
// (a browser sends a cookie of 127.0.0.1 to every port of it).
const cookieName = "secoda_workbench_token"

// TestTheTokenIsInEveryURLAndNoCookie: no answer sets a cookie, and every link, form
// and stylesheet of every page carries the token, so the visit goes on without one.
func TestTheTokenIsInEveryURLAndNoCookie(t *testing.T) {
	f := loadedProject(t)
	res := f.do(t, request{path: "/", token: f.s.Token()})
	if c := res.header.Get("Set-Cookie"); c != "" {
		t.Fatalf("Set-Cookie: %q", c)
	}
	for _, path := range []string{"/", "/schema", "/data?table=resource_catalog", "/sql"} {
		page := f.do(t, request{path: path, token: f.s.Token()})
		if page.header.Get("Set-Cookie") != "" {
			t.Fatalf("%s set a cookie", path)
		}
		for _, m := range regexp.MustCompile(`(?:href|action|src)="(/[^"]*)"`).FindAllStringSubmatch(page.body, -1) {
			// The data page's GET form carries it in a hidden field.
			if !strings.Contains(m[1], "token="+f.s.Token()) && !(m[1] == "/data" && strings.Contains(page.body, `name="token" value="`+f.s.Token()+`"`)) {
				t.Errorf("%s links to %s without the token", path, m[1])
			}
		}
	}
	csp := res.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	// No Referer to another origin (the token could leak through it), and an Origin on
	// the dashboard's own posts, which fromOwnPages needs.
	if res.header.Get("Referrer-Policy") != "same-origin" {
		t.Fatalf("Referrer-Policy %q: the token could leak through Referer, or the dashboard's own posts say Origin: null", res.header.Get("Referrer-Policy"))
	}
}

// pagesAreSelfContained: nothing on any page comes from another origin.
func TestPagesLoadNothingFromElsewhere(t *testing.T) {
	f := loadedProject(t)
	ref := regexp.MustCompile(`(?i)(?:src|href|action)\s*=\s*"([^"]*)"`)
	for _, p := range []string{"/", "/schema", "/data", "/sql"} {
		body := f.get(t, p)
		for _, m := range ref.FindAllStringSubmatch(body, -1) {
			u := m[1]
			if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
				t.Errorf("%s refers to %q", p, u)
			}
		}
		if strings.Contains(strings.ToLower(body), "<script") {
			t.Errorf("%s has a script", p)
		}
	}
}

func TestOverviewShowsTheLoads(t *testing.T) {
	f := loadedProject(t)
	ctx := context.Background()
	loads, err := f.s.dest.Loads(ctx, 10)
	if err != nil || len(loads) != 2 {
		t.Fatalf("%d loads, %v", len(loads), err)
	}
	body := f.get(t, "/")
	for _, want := range []string{
		f.plan.PipelineName, f.plan.DatasetName, f.plan.DestinationPath,
		loads[0].LoadID, loads[1].LoadID,
		`id="loads-count">2<`,
		`<svg role="img" aria-labelledby="chart-title"`, "2 loads</title>",
		"Incremental cursors",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
	// The chart has a bar of rows and one of seconds per load.
	if n := strings.Count(body, `<rect class="bar"`); n != 2 {
		t.Errorf("%d row bars", n)
	}
	if n := strings.Count(body, `<rect class="bar2"`); n != 2 {
		t.Errorf("%d duration bars", n)
	}

	var api struct {
		Loaded bool `json:"loaded"`
		Loads  []struct {
			LoadID  string  `json:"load_id"`
			Status  string  `json:"status"`
			Seconds float64 `json:"seconds"`
			Records int64   `json:"records"`
			Rows    []struct {
				Name string `json:"name"`
				Rows int64  `json:"rows"`
			} `json:"rows"`
		} `json:"loads"`
		Cursors []map[string]string `json:"cursors"`
		Tables  int                 `json:"tables"`
		Rows    int64               `json:"rows"`
	}
	if err := json.Unmarshal([]byte(f.get(t, "/api/overview")), &api); err != nil {
		t.Fatal(err)
	}
	if !api.Loaded || len(api.Loads) != 2 || api.Loads[0].LoadID != loads[0].LoadID || api.Loads[1].Status != "loaded" {
		t.Fatalf("api overview %+v", api)
	}
	// The first load brought every table; the second only the renamed collection.
	first := map[string]int64{}
	for _, r := range api.Loads[1].Rows {
		first[r.Name] = r.Rows
	}
	counts, err := f.s.dest.TableRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first["resource_catalog"] != counts["resource_catalog"] || api.Loads[1].Records == 0 || api.Loads[1].Seconds <= 0 {
		t.Fatalf("first load %+v, tables %v", api.Loads[1], counts)
	}
	second := map[string]int64{}
	for _, r := range api.Loads[0].Rows {
		second[r.Name] = r.Rows
	}
	if len(second) == 0 || second["collection"] != 1 {
		t.Fatalf("second load's rows %+v", second)
	}
	// Only the collection changed: nothing else was loaded again.
	for name := range second {
		if !strings.HasPrefix(name, "collection") {
			t.Fatalf("second load's rows %+v", second)
		}
	}
	var total int64
	tables := 0
	for name, n := range counts {
		if !dest.IsSystemTable(name) {
			total += n
			tables++
		}
	}
	if api.Rows != total || api.Tables != tables {
		t.Fatalf("api says %d rows in %d tables, the dataset has %d in %d", api.Rows, api.Tables, total, tables)
	}
	if len(api.Cursors) == 0 {
		t.Fatal("no incremental cursors")
	}
	for _, c := range api.Cursors {
		if c["resource"] == "" || c["field"] == "" || c["value"] == "" || !strings.Contains(body, c["value"]) {
			t.Fatalf("cursor %v (shown: %v)", c, strings.Contains(body, c["value"]))
		}
	}
}

func TestOverviewBeforeAnyLoad(t *testing.T) {
	f := project(t)
	for _, p := range []string{"/", "/schema", "/data", "/sql"} {
		if body := f.get(t, p); p != "/sql" && !strings.Contains(body, "Nothing loaded yet") {
			t.Errorf("%s before any load: %.300s", p, body)
		}
	}
	var api struct {
		Loaded bool  `json:"loaded"`
		Loads  []any `json:"loads"`
	}
	if err := json.Unmarshal([]byte(f.get(t, "/api/overview")), &api); err != nil || api.Loaded || api.Loads == nil {
		t.Fatalf("%+v %v", api, err)
	}
}

func TestSchemaShowsEveryTableColumnAndRelation(t *testing.T) {
	f := loadedProject(t)
	stored, err := f.s.dest.ReadStored(context.Background(), f.plan.PipelineName, f.plan.SchemaName)
	if err != nil {
		t.Fatal(err)
	}
	body := f.get(t, "/schema")
	children := 0
	for name, tbl := range stored.Schema.Tables {
		if !strings.Contains(body, `<h2 id="t-`+name+`">`) {
			t.Errorf("no section for %s", name)
		}
		if !strings.Contains(body, `aria-label="`+name+`, `) {
			t.Errorf("%s is not in the diagram", name)
		}
		for _, c := range tbl.Columns {
			if !strings.Contains(body, "<td><code>"+c.Name+"</code></td><td>"+string(c.Type)+"</td>") {
				t.Errorf("%s.%s (%s) is not listed", name, c.Name, c.Type)
			}
		}
		if tbl.Parent != "" {
			children++
		}
	}
	if children == 0 {
		t.Fatal("the fixture has no child tables")
	}
	if n := strings.Count(body, `<path class="link"`); n != children {
		t.Errorf("%d links drawn for %d child tables", n, children)
	}
	if !strings.Contains(body, `<span class="tag">variant of total_usage</span>`) {
		t.Error("the variant column is not marked")
	}

	var api struct {
		Loaded bool `json:"loaded"`
		Tables []struct {
			Name    string `json:"name"`
			Parent  string `json:"parent"`
			Columns []struct {
				Name     string `json:"name"`
				Type     string `json:"data_type"`
				Nullable bool   `json:"nullable"`
				Variant  bool   `json:"variant"`
			} `json:"columns"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(f.get(t, "/api/schema")), &api); err != nil {
		t.Fatal(err)
	}
	if !api.Loaded || len(api.Tables) != len(stored.Schema.Tables) {
		t.Fatalf("api schema: %d tables, want %d", len(api.Tables), len(stored.Schema.Tables))
	}
	variant := false
	for _, tb := range api.Tables {
		if tb.Parent != stored.Schema.Tables[tb.Name].Parent || len(tb.Columns) != len(stored.Schema.Tables[tb.Name].Columns) {
			t.Errorf("api table %s: parent %q, %d columns", tb.Name, tb.Parent, len(tb.Columns))
		}
		for _, c := range tb.Columns {
			variant = variant || (c.Variant && c.Name == "total_usage__v_text")
		}
	}
	if !variant {
		t.Error("the API does not mark the variant column")
	}
}

var rowRe = regexp.MustCompile(`(?s)<tbody>(.*?)</tbody>`)

// bodyRows counts the rows of the first table body in a page.
func bodyRows(t testing.TB, page string) int {
	t.Helper()
	m := rowRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no table body in %.500s", page)
	}
	return strings.Count(m[1], "<tr>")
}

func TestDataPagesAndSortsOnTheServer(t *testing.T) {
	f := loadedProject(t)
	ctx := context.Background()
	counts, err := f.s.dest.TableRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := counts["resource_catalog"]
	if total <= 2*PageSize {
		t.Fatalf("the fixture's catalog has %d rows; the test needs more than two pages", total)
	}
	pages := int((total + PageSize - 1) / PageSize)

	body := f.get(t, "/data?table=resource_catalog")
	if n := bodyRows(t, body); n != PageSize {
		t.Fatalf("page 1 shows %d rows", n)
	}
	if !strings.Contains(body, fmt.Sprintf("Rows 1–%d of %d", PageSize, total)) || !strings.Contains(body, fmt.Sprintf("page 1 of %d", pages)) || !strings.Contains(body, `rel="next"`) || strings.Contains(body, `rel="prev"`) {
		t.Fatalf("page 1's pager: %.2000s", body)
	}
	last := f.get(t, fmt.Sprintf("/data?table=resource_catalog&page=%d", pages))
	if n, want := bodyRows(t, last), int(total-int64(pages-1)*PageSize); n != want {
		t.Fatalf("the last page shows %d rows, want %d", n, want)
	}
	if strings.Contains(last, `rel="next"`) || !strings.Contains(last, `rel="prev"`) {
		t.Fatal("the last page's pager is wrong")
	}
	// A page past the end shows the last.
	if beyond := f.get(t, "/data?table=resource_catalog&page=99999"); !strings.Contains(beyond, fmt.Sprintf("page %d of %d", pages, pages)) {
		t.Fatal("a page past the end does not show the last")
	}

	// Sorting: the API's first row, descending by id, is the largest id.
	want, err := f.s.dest.Query(ctx, "SELECT max(id), min(id) FROM resource_catalog", dest.Rows(1))
	if err != nil {
		t.Fatal(err)
	}
	var api struct {
		Table string           `json:"table"`
		Page  int              `json:"page"`
		Pages int              `json:"pages"`
		Total int64            `json:"total"`
		Rows  []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(f.get(t, "/api/rows?table=resource_catalog&sort=id&dir=desc")), &api); err != nil {
		t.Fatal(err)
	}
	if api.Total != total || api.Pages != pages || len(api.Rows) != PageSize || api.Rows[0]["id"] != want.Rows[0][0] {
		t.Fatalf("api rows: total %d pages %d rows %d first %v, want %v", api.Total, api.Pages, len(api.Rows), api.Rows[0]["id"], want.Rows[0][0])
	}
	if err := json.Unmarshal([]byte(f.get(t, fmt.Sprintf("/api/rows?table=resource_catalog&sort=id&dir=asc&page=%d", pages))), &api); err != nil {
		t.Fatal(err)
	}
	if got := api.Rows[len(api.Rows)-1]["id"]; got != want.Rows[0][0] {
		t.Fatalf("ascending, the last page ends with %v, want %v", got, want.Rows[0][0])
	}
	// Paging sorted by a column of many ties shows every row exactly once, in order.
	seen := map[any]bool{}
	prev := ""
	for p := 1; p <= pages; p++ {
		if err := json.Unmarshal([]byte(f.get(t, fmt.Sprintf("/api/rows?table=resource_catalog&sort=entity_type&dir=asc&page=%d", p))), &api); err != nil {
			t.Fatal(err)
		}
		for _, r := range api.Rows {
			if seen[r["id"]] {
				t.Fatalf("page %d repeats %v", p, r["id"])
			}
			seen[r["id"]] = true
			et := r["entity_type"].(string)
			if et < prev {
				t.Fatalf("page %d: %q after %q", p, et, prev)
			}
			prev = et
		}
	}
	if int64(len(seen)) != total {
		t.Fatalf("paging sorted by entity_type showed %d of %d rows", len(seen), total)
	}
	// The sort link of the sorted column reverses it, and paging keeps the sort.
	sorted := f.get(t, "/data?table=resource_catalog&sort=id&dir=asc")
	if !strings.Contains(sorted, "sort=id&amp;table=resource_catalog") || !strings.Contains(sorted, "dir=desc&amp;sort=id") || !strings.Contains(sorted, "id ▲") {
		t.Fatalf("sort links: %.3000s", sorted)
	}
}

// TestDataRefusesWhatIsNotThere: table and column names come from the URL; only names
// in the dataset reach the SQL.
func TestDataRefusesWhatIsNotThere(t *testing.T) {
	f := loadedProject(t)
	for _, tc := range []struct{ query, want string }{
		{"table=nope", `no table "nope" in the dataset`},
		{"table=" + url.QueryEscape(`resource_catalog"; DROP TABLE resource_catalog; --`), `no table "resource_catalog\"; DROP TABLE`},
		{"table=" + url.QueryEscape("main.resource_catalog"), "no table"},
		{"table=resource_catalog&sort=" + url.QueryEscape(`id" DESC; DROP TABLE collection; --`), "no column"},
		{"table=resource_catalog&sort=nope", `no column "nope" in resource_catalog`},
	} {
		body := f.get(t, "/data?"+tc.query)
		if !strings.Contains(body, escaped(tc.want)) {
			t.Errorf("%s: the page does not say %q: %.1500s", tc.query, tc.want, body)
		}
		res := f.do(t, request{path: "/api/rows?" + tc.query, token: f.s.Token()})
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, `"error"`) {
			t.Errorf("api %s: %d %s", tc.query, res.status, res.body)
		}
	}
	counts, err := f.s.dest.TableRows(context.Background())
	if err != nil || counts["resource_catalog"] == 0 || counts["collection"] == 0 {
		t.Fatalf("tables after the attempts: %v %v", counts, err)
	}
}

// escaped is text escaped as the page does.
func escaped(s string) string {
	return strings.NewReplacer(`"`, "&#34;", "<", "&lt;", ">", "&gt;", "&", "&amp;", "'", "&#39;").Replace(s)
}

func TestSQLRunsAQueryAndShowsTheResult(t *testing.T) {
	f := loadedProject(t)
	body := f.get(t, "/sql")
	if !strings.Contains(body, "SELECT entity_type, count(*)") {
		t.Fatal("the SQL page has no example query")
	}
	res := f.do(t, request{method: "POST", path: "/sql", token: f.s.Token(), contentType: "application/x-www-form-urlencoded",
		body: f.form("SELECT title FROM collection WHERE title LIKE 'Renamed%'")})
	if res.status != 200 || !strings.Contains(res.body, "<td>Renamed &lt;b&gt;bold&lt;/b&gt;</td>") || !strings.Contains(res.body, `id="count">1 rows`) {
		t.Fatalf("%d %.3000s", res.status, res.body)
	}
	// More rows than the limit: the first SQLLimit, and a word about it.
	res = f.do(t, request{method: "POST", path: "/sql", token: f.s.Token(), contentType: "application/x-www-form-urlencoded",
		body: f.form("SELECT * FROM range(100000)")})
	if bodyRows(t, res.body) != SQLLimit || !strings.Contains(res.body, fmt.Sprintf("the first %d", SQLLimit)) {
		t.Fatalf("a big answer was not cut at %d rows", SQLLimit)
	}
	var api struct {
		Columns   []string         `json:"columns"`
		Rows      []map[string]any `json:"rows"`
		Truncated bool             `json:"truncated"`
	}
	r := f.do(t, request{method: "POST", path: "/api/query", token: f.s.Token(), contentType: "application/json", body: `{"sql": "SELECT * FROM range(1000) t(n)"}`})
	if err := json.Unmarshal([]byte(r.body), &api); err != nil || len(api.Rows) != SQLLimit || !api.Truncated || api.Columns[0] != "n" {
		t.Fatalf("api query: %d rows, truncated %v, %v", len(api.Rows), api.Truncated, err)
	}
	if r := f.do(t, request{method: "POST", path: "/api/query", token: f.s.Token(), contentType: "application/json", body: `not json`}); r.status != http.StatusBadRequest || !strings.Contains(r.body, `{\"sql\": \"...\"}`) {
		t.Fatalf("a bad body: %d %s", r.status, r.body)
	}
}

// TestHostileSQLChangesNothing: writes, file access, ATTACH, settings and several
// statements are refused with the reason on the page, and the data stays.
func TestHostileSQLChangesNothing(t *testing.T) {
	f := loadedProject(t)
	ctx := context.Background()
	before, err := f.s.dest.TableRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "stolen.csv")
	for _, q := range []string{
		"DROP TABLE resource_catalog",
		"DELETE FROM collection",
		"UPDATE collection SET title = 'x'",
		"CREATE TABLE evil AS SELECT 1",
		"SELECT 1; DROP TABLE collection",
		fmt.Sprintf("COPY collection TO '%s'", outside),
		fmt.Sprintf("SELECT * FROM read_csv('%s')", "/etc/passwd"),
		"SELECT * FROM read_text('/etc/hostname')",
		fmt.Sprintf("ATTACH '%s' AS other", filepath.Join(t.TempDir(), "other.duckdb")),
		"SET enable_external_access = true",
		"PRAGMA enable_profiling",
		"INSTALL httpfs",
		"CHECKPOINT",
	} {
		res := f.do(t, request{method: "POST", path: "/sql", token: f.s.Token(), contentType: "application/x-www-form-urlencoded", body: f.form(q)})
		if res.status != 200 || !strings.Contains(res.body, `<p class="err" id="error">`) || strings.Contains(res.body, `id="result"`) {
			t.Errorf("%s: %d, no error shown: %.1500s", q, res.status, res.body)
		}
		api := f.do(t, request{method: "POST", path: "/api/query", token: f.s.Token(), contentType: "application/json", body: fmt.Sprintf(`{"sql": %q}`, q)})
		if api.status != http.StatusBadRequest || !strings.Contains(api.body, `"error"`) {
			t.Errorf("api %s: %d %s", q, api.status, api.body)
		}
	}
	if _, err := os.Stat(outside); !os.IsNotExist(err) {
		t.Fatalf("COPY wrote a file: %v", err)
	}
	after, err := f.s.dest.TableRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("tables changed: %v, were %v", after, before)
	}
	for name, n := range before {
		if after[name] != n {
			t.Fatalf("%s has %d rows, had %d", name, after[name], n)
		}
	}
	if res, err := f.s.dest.Query(ctx, "SELECT count(*) FROM collection WHERE title = 'x'", dest.Rows(1)); err != nil || res.Rows[0][0] != int64(0) {
		t.Fatalf("the UPDATE landed: %v %v", res, err)
	}
}

// TestARunProceedsWhileTheDashboardIsOpen: no request keeps the DuckDB file open.
func TestARunProceedsWhileTheDashboardIsOpen(t *testing.T) {
	f := project(t)
	f.run(t)
	for _, p := range []string{"/", "/schema", "/data?table=collection", "/api/rows?table=collection"} {
		f.get(t, p)
	}
	f.patch(t)
	f.run(t) // fails with "in use" if the dashboard held the file
	if body := f.get(t, "/api/overview"); strings.Count(body, `"load_id"`) != 2 {
		t.Fatalf("the dashboard does not see the second load: %s", body)
	}
}

func TestServeListensOnLoopbackOnly(t *testing.T) {
	f := project(t)
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.168.1.1:0", "example.com:80"} {
		err := f.s.Serve(context.Background(), addr, nil)
		if err == nil || !strings.Contains(err.Error(), "this machine only") {
			t.Errorf("Serve(%q): %v", addr, err)
		}
	}
	if err := f.s.Serve(context.Background(), "nonsense", nil); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Errorf("Serve(nonsense): %v", err)
	}
}

func TestServeAnswersUntilCancelled(t *testing.T) {
	f := loadedProject(t)
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- f.s.Serve(ctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	var u string
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.HasSuffix(u, "/?token="+f.s.Token()) {
		t.Fatalf("URL %q", u)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Last loads") {
		t.Fatalf("%d %.300s", resp.StatusCode, body)
	}
	// Without the token the same server refuses.
	resp, err = http.Get(strings.Split(u, "?")[0])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("without the token: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if _, err := http.Get(u); err == nil {
		t.Fatal("still answering after cancel")
	}
}

// TestAFileInUseSaysSo: while a writer holds the file, pages say so, with 503.
func TestAFileInUseSaysSo(t *testing.T) {
	f := project(t)
	f.run(t)
	// A writer in this process (as a run would be) holds the file.
	hold, err := sql.Open("duckdb", f.plan.DestinationPath)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	if err := hold.Ping(); err != nil {
		t.Fatal(err)
	}
	res := f.do(t, request{path: "/", token: f.s.Token()})
	if res.status != http.StatusServiceUnavailable || !strings.Contains(res.body, `id="error"`) {
		t.Fatalf("%d %.800s", res.status, res.body)
	}
}

// TestOverviewSaysWhatTheLoadsDoNot: an interrupted run shows on the overview with how to
// go on (before any load too), and a load that could not read a partition whole shows as
// INCOMPLETE, naming the partition, on the page and in /api/overview.
func TestOverviewSaysWhatTheLoadsDoNot(t *testing.T) {
	key := newKey(t)
	sim, err := simulator.New(simulator.Options{Seed: 12, Size: simulator.Medium, CatalogCap: 500, APIKeys: []string{key}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := fmt.Sprintf("[source]\nbase_url = %q\nrate_limit = 0\ncatalog_cap = 500\n\n[resources.resource_catalog]\n", srv.URL+"/api/v1")
	path := filepath.Join(dir, pipeline.ConfigFileName)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := pipeline.OpenDestination(plan, "")
	s, err := New(plan, dst)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{s: s, plan: plan, key: key}
	ctx, cancel := context.WithCancel(context.Background())
	pages := 0
	_, err = pipeline.Run(ctx, plan, pipeline.RunOptions{APIKey: key, Progress: func(p pipeline.Progress) {
		if p.Retry == nil {
			if pages++; pages == 30 {
				cancel()
			}
		}
	}})
	if err == nil {
		t.Fatal("the run was not interrupted")
	}
	if body := f.get(t, "/"); !strings.Contains(body, `id="health"`) || !strings.Contains(body, "interrupted") || !strings.Contains(body, "goes on from the last page spooled") {
		t.Fatalf("the overview after an interrupted run: %.2000s", body)
	}
	if _, err := pipeline.Run(context.Background(), plan, pipeline.RunOptions{APIKey: key}); err != nil {
		t.Fatal(err)
	}
	body := f.get(t, "/")
	if !strings.Contains(body, "INCOMPLETE: resource_catalog has 1 partition(s)") || !strings.Contains(body, "raw_events_flattened") || strings.Contains(body, "interrupted") {
		t.Fatalf("the overview after an incomplete load: %.3000s", body)
	}
	var api struct {
		Incomplete map[string][]struct {
			Label string `json:"label"`
			Read  int    `json:"read"`
		} `json:"incomplete"`
		Partitions map[string]int `json:"partitions"`
	}
	if err := json.Unmarshal([]byte(f.get(t, "/api/overview")), &api); err != nil || len(api.Incomplete["resource_catalog"]) != 1 ||
		api.Incomplete["resource_catalog"][0].Read != 1000 || api.Partitions["resource_catalog"] < 3 {
		t.Fatalf("/api/overview: %+v %v", api, err)
	}
}

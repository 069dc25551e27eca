package dashboard

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// countingDest counts the reads of pages that reach the destination (the queries are
// counted by the Server itself): a refused request adds to none.
type countingDest struct {
	dest.Destination
	reads atomic.Int64
}

func (c *countingDest) ReadStored(ctx context.Context, pipeline, schema string) (dest.Stored, error) {
	c.reads.Add(1)
	return c.Destination.ReadStored(ctx, pipeline, schema)
}

func (c *countingDest) TableRows(ctx context.Context) (map[string]int64, error) {
	c.reads.Add(1)
	return c.Destination.TableRows(ctx)
}

func (c *countingDest) Loads(ctx context.Context, n int) ([]dest.Load, error) {
	c.reads.Add(1)
	return c.Destination.Loads(ctx, n)
}

func (c *countingDest) Browse(ctx context.Context, p dest.Page) (*dest.QueryResult, error) {
	c.reads.Add(1)
	return c.Destination.Browse(ctx, p)
}

// count puts a countingDest between the dashboard and its destination.
func (f *fixture) count() *countingDest {
	c := &countingDest{Destination: f.s.dest}
	f.s.dest = c
	return c
}

// ownOrigin is the origin of the dashboard that fixture.do addresses.
const ownOrigin = "http://127.0.0.1:8123"

// headers is h with kv (name, value, ...) set on a copy; a value of "" removes the name.
func headers(h map[string]string, kv ...string) map[string]string {
	out := maps.Clone(h)
	if out == nil {
		out = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

// What browsers send: the SQL page's own form, a fetch of its own page, the address
// bar, and pages of another port of 127.0.0.1 (the same site, another origin).
var (
	ownForm    = map[string]string{"Origin": ownOrigin, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	ownFetch   = map[string]string{"Origin": ownOrigin, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
	addressBar = map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	otherForm  = map[string]string{"Origin": "http://127.0.0.1:9999", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	otherFetch = map[string]string{"Origin": "http://127.0.0.1:9999", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"}
)

// originCase is one request of TestOnlyTheDashboardsOwnPagesRunQueries and its answer.
type originCase struct {
	name   string
	r      request
	status int
	says   string
}

// with changes the request in more than its headers.
func (c originCase) with(change func(*request)) originCase {
	change(&c.r)
	return c
}

// TestOnlyTheDashboardsOwnPagesRunQueries: a request must show it comes from the
// dashboard's own origin even with the token (a page of another port of 127.0.0.1,
// the same site, that learned it still cannot use it); POST /sql must carry the SQL
// page's form token; POST /api/query must be JSON of at most BodyLimit bytes. A
// refused request reads nothing; an accepted one runs; none sets a cookie.
func TestOnlyTheDashboardsOwnPagesRunQueries(t *testing.T) {
	f := project(t)
	f.run(t)
	counted := f.count()
	const form, json, text = "application/x-www-form-urlencoded", "application/json", "text/plain"
	q := "SELECT count(*) FROM resource_catalog"
	body := `{"sql": "` + q + `"}`
	other, err := New(f.plan, f.s.dest)
	if err != nil {
		t.Fatal(err)
	}
	token := f.s.Token()
	curl := func(r *request) { r.header = nil }
	sql := func(name string, h map[string]string, status int, says string) originCase {
		return originCase{name: "POST /sql, " + name, r: request{method: "POST", path: "/sql", token: token, contentType: form, body: f.form(q), header: h}, status: status, says: says}
	}
	api := func(name string, h map[string]string, status int, says string) originCase {
		return originCase{name: "POST /api/query, " + name, r: request{method: "POST", path: "/api/query", token: token, contentType: json, body: body, header: h}, status: status, says: says}
	}
	get := func(name, path string, h map[string]string, status int, says string) originCase {
		return originCase{name: "GET " + path + ", " + name, r: request{method: "GET", path: path, token: token, header: h}, status: status, says: says}
	}
	cases := []originCase{
		sql("the SQL page's own form", ownForm, 200, `id="result"`),
		sql("no browser: curl with the token", nil, 200, `id="result"`).with(curl),
		sql("a form of another port's page", otherForm, 403, "a page of http://127.0.0.1:9999, not of the dashboard (http://127.0.0.1:8123)"),
		sql("another port's page, Origin only", headers(nil, "Origin", "http://127.0.0.1:9999"), 403, "a page of http://127.0.0.1:9999"),
		sql("another host name of the same port", headers(ownForm, "Origin", "http://localhost:8123", "Sec-Fetch-Site", "cross-site"), 403, "a page of http://localhost:8123"),
		sql("an opaque origin", headers(ownForm, "Origin", "null", "Sec-Fetch-Site", "cross-site"), 403, "a page of null"),
		sql("https of the same host and port", headers(ownForm, "Origin", "https://127.0.0.1:8123"), 403, "a page of https://127.0.0.1:8123"),
		sql("Sec-Fetch-Site: same-site", headers(otherForm, "Origin", ""), 403, "Sec-Fetch-Site: same-site"),
		sql("Sec-Fetch-Site: cross-site", headers(otherForm, "Origin", "", "Sec-Fetch-Site", "cross-site"), 403, "Sec-Fetch-Site: cross-site"),
		sql("Sec-Fetch-Site: none", addressBar, 403, "Sec-Fetch-Site: none"),
		sql("an unknown Sec-Fetch-Site", headers(ownForm, "Sec-Fetch-Site", "same-planet"), 403, `unknown Sec-Fetch-Site "same-planet"`),
		sql("text/plain", ownForm, 415, "application/x-www-form-urlencoded").with(func(r *request) { r.contentType = text }),
		sql("multipart", ownForm, 415, "application/x-www-form-urlencoded").with(func(r *request) { r.contentType = "multipart/form-data; boundary=x" }),
		sql("no form token", ownForm, 403, "the SQL form's token is missing or wrong").with(func(r *request) { r.body = url.Values{"q": {q}}.Encode() }),
		sql("another server's form token", ownForm, 403, "the SQL form's token is missing or wrong").with(func(r *request) {
			r.body = url.Values{"q": {q}, formTokenField: {other.formToken}}.Encode()
		}),
		sql("the session token as the form token", ownForm, 403, "the SQL form's token is missing or wrong").with(func(r *request) {
			r.body = url.Values{"q": {q}, formTokenField: {f.s.Token()}}.Encode()
		}),
		sql("the form token in the URL, not the form", ownForm, 403, "the SQL form's token is missing or wrong").with(func(r *request) {
			r.body, r.path = url.Values{"q": {q}}.Encode(), "/sql?"+formTokenField+"="+f.s.formToken
		}),
		sql("the token in a cookie, as the dashboard once set it", ownForm, 403, "open the URL").with(func(r *request) { r.token, r.cookie = "", token }),
		sql("a body over the limit", ownForm, 413, "over the limit of 1 MiB").with(func(r *request) { r.body += "&pad=" + strings.Repeat("x", BodyLimit) }),

		api("a fetch of the dashboard's own page", ownFetch, 200, `"columns"`),
		api("no browser: curl with the token", nil, 200, `"columns"`).with(curl),
		api("JSON with a charset", nil, 200, `"columns"`).with(func(r *request) { r.contentType = "application/json; charset=utf-8" }),
		api("a no-cors fetch of another port's page", otherFetch, 403, "a page of http://127.0.0.1:9999"),
		api("a CORS fetch of another port's page", headers(otherFetch, "Sec-Fetch-Mode", "cors"), 403, "a page of http://127.0.0.1:9999"),
		api("text/plain from its own page", ownFetch, 415, "takes Content-Type: application/json").with(func(r *request) { r.contentType = text }),
		api("text/plain from curl", nil, 415, `not \"text/plain\"`).with(func(r *request) { r.contentType = text }),
		api("form-encoded", nil, 415, "takes Content-Type: application/json").with(func(r *request) { r.contentType, r.body = form, "sql="+url.QueryEscape(q) }),
		api("no Content-Type", nil, 415, "takes Content-Type: application/json").with(func(r *request) { r.contentType = "" }),
		api("a body over the limit", ownFetch, 413, "over the limit of 1 MiB").with(func(r *request) { r.body = `{"sql": "SELECT '` + strings.Repeat("x", BodyLimit) + `'"}` }),

		get("the address bar", "/", addressBar, 200, "Last loads"),
		get("a link of its own", "/data?table=resource_catalog", headers(ownForm, "Origin", ""), 200, `id="rows"`),
		get("its stylesheet", "/static/style.css", headers(ownFetch, "Origin", "", "Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "style"), 200, "color"),
		get("another port's page fetching rows", "/api/rows?table=resource_catalog", headers(otherFetch, "Origin", ""), 403, "Sec-Fetch-Site: same-site"),
		get("another port's page loading a page as an image", "/data?table=resource_catalog&sort=title", headers(otherFetch, "Origin", "", "Sec-Fetch-Dest", "image"), 403, "Sec-Fetch-Site: same-site"),
		get("a CORS fetch of another port's page", "/api/overview", headers(otherFetch, "Sec-Fetch-Mode", "cors"), 403, "a page of http://127.0.0.1:9999"),
		get("a link of another port's page, with the token", "/", headers(otherForm, "Origin", ""), 200, "Last loads"),
		get("another port's page navigating without the token", "/", headers(otherForm, "Origin", ""), 403, "open the URL").with(func(r *request) { r.token = "" }),
		get("the token in a cookie only", "/", addressBar, 403, "open the URL").with(func(r *request) { r.token, r.cookie = "", token }),
	}
	for _, c := range cases {
		reads, queries := counted.reads.Load(), f.s.queries.Load()
		res := f.do(t, c.r)
		if res.status != c.status || !strings.Contains(res.body, c.says) {
			t.Errorf("%s: %d %.300s, want %d saying %q", c.name, res.status, res.body, c.status, c.says)
		}
		// Accepted pages read (the stylesheet is no read, a query no page read);
		// accepted POSTs run one query.
		accepted := c.status == 200
		if ran := counted.reads.Load() > reads; ran != (accepted && c.r.method == "GET" && !strings.HasPrefix(c.r.path, "/static/")) {
			t.Errorf("%s: read the destination: %v", c.name, ran)
		}
		wantQueries := int64(0)
		if accepted && c.r.method == "POST" {
			wantQueries = 1
		}
		if n := f.s.queries.Load() - queries; n != wantQueries {
			t.Errorf("%s: ran %d queries, want %d", c.name, n, wantQueries)
		}
		if res.header.Get("Set-Cookie") != "" {
			t.Errorf("%s: the answer set a cookie", c.name)
		}
	}
}

// TestTheOwnOriginIsTheOneTheBrowserAddressed: opened as localhost, the dashboard's
// origin is http://localhost:PORT; a link followed from another site that carries the
// token is served (whoever has the token may open the dashboard from anywhere).
func TestTheOwnOriginIsTheOneTheBrowserAddressed(t *testing.T) {
	f := project(t)
	f.run(t)
	res := f.do(t, request{method: "POST", path: "/sql", host: "localhost:8123", token: f.s.Token(), contentType: "application/x-www-form-urlencoded",
		body: f.form("SELECT 1"), header: headers(ownForm, "Origin", "http://localhost:8123")})
	if res.status != 200 || !strings.Contains(res.body, `id="result"`) {
		t.Fatalf("the form of http://localhost:8123: %d %.300s", res.status, res.body)
	}
	link := headers(otherForm, "Origin", "", "Sec-Fetch-Site", "cross-site")
	if res := f.do(t, request{path: "/", token: f.s.Token(), header: link}); res.status != 200 {
		t.Fatalf("a link from another site with the token: %d %.300s", res.status, res.body)
	}
	// ...but only a navigation of the whole page, and only with the token in the URL.
	if res := f.do(t, request{path: "/", token: f.s.Token(), header: headers(link, "Sec-Fetch-Dest", "iframe")}); res.status != http.StatusForbidden {
		t.Fatalf("a frame of another site with the token: %d", res.status)
	}
	if res := f.do(t, request{path: "/", cookie: f.s.Token(), header: link}); res.status != http.StatusForbidden {
		t.Fatalf("a link from another site with the cookie only: %d", res.status)
	}
	if res := f.do(t, request{method: "POST", path: "/sql", token: f.s.Token(), contentType: "application/x-www-form-urlencoded", body: f.form("SELECT 1"), header: link}); res.status != http.StatusForbidden {
		t.Fatalf("a POST from another site with the token in the URL: %d", res.status)
	}
}

// TestTheSQLFormCarriesItsFormToken: the SQL page writes the form token into its form;
// it is not the session token, and each server start has its own.
func TestTheSQLFormCarriesItsFormToken(t *testing.T) {
	f := project(t)
	body := f.get(t, "/sql")
	if !strings.Contains(body, `<input type="hidden" name="`+formTokenField+`" value="`+f.s.formToken+`">`) {
		t.Fatalf("the SQL form lacks its form token: %.2000s", body)
	}
	other, err := New(f.plan, f.s.dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.s.formToken) != 64 || f.s.formToken == f.s.Token() || strings.Contains(f.s.formToken, f.s.Token()) || other.formToken == f.s.formToken {
		t.Fatalf("form tokens %q and %q for session tokens %q and %q", f.s.formToken, other.formToken, f.s.Token(), other.Token())
	}
}

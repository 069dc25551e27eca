package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// integrationEnv is set by scripts/test, which installs Debian's chromium first.
const integrationEnv = "SECODA_WORKBENCH_INTEGRATION"

// artifacts is where the browser test leaves its screenshots (gitignored).
func artifacts(t *testing.T) string {
	dir := os.Getenv("SECODA_WORKBENCH_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
	}
	dir = filepath.Join(dir, "dashboard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// chromium finds Debian's Chromium (or another Chrome) on PATH.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium on PATH: scripts/test installs Debian's chromium (apt-get install chromium)")
	return ""
}

// browser starts a headless Chromium of its own, with a fresh profile and nothing that
// reaches the network on its own, and returns a tab and the console it writes to.
func browser(t *testing.T) (context.Context, *consoleLog) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Env("TMPDIR=" + t.TempDir()), // its shared-memory files, gone with the test
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("password-store", "basic"), // leave the test's Secret Service alone
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser now, on a context without a deadline (one would stop it).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium(t), err)
	}
	log := &consoleLog{}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			log.add(fmt.Sprintf("%s %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
		}
	}()
	return ctx, log
}

// consoleLog is everything the pages wrote to the console: CSP refusals, failed
// loads, exceptions. A page of ours writes nothing.
type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

func (c *consoleLog) add(s string) { c.mu.Lock(); c.lines = append(c.lines, s); c.mu.Unlock() }
func (c *consoleLog) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// step runs actions with a time limit, failing the test with what it was doing.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// settled waits until the browser shows url, loaded whole: what a page's own script
// navigated to, as a form that submits itself.
func settled(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	var at string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		got, err := chromedp.Run(sctx, chromedp.Evaluate[string](`location.href + " " + document.readyState`))
		cancel()
		if err != nil { // the page changed under the evaluation
			at = err.Error()
			continue
		}
		if at = got; at == url+" complete" {
			return
		}
	}
	t.Fatalf("the browser is at %q, want %s loaded", at, url)
}

func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// shoot saves a screenshot of the whole page.
func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if len(png) < 1000 {
		t.Fatalf("screenshot %s has %d bytes", name, len(png))
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInARealBrowser drives Debian's headless Chromium through the dashboard of a
// dataset loaded from the simulator: each page, the pager and a sort, a query and a
// refused one, keyboard focus and dark mode, with a screenshot of each under
// artifacts/dashboard. The pages must write nothing to the console: no CSP refusal,
// no failed load, no exception.
func TestInARealBrowser(t *testing.T) {
	if os.Getenv(integrationEnv) == "" {
		t.Skip("needs the Chromium that scripts/test installs (" + integrationEnv + "=1)")
	}
	f := loadedProject(t)
	sctx, stop := context.WithCancel(context.Background())
	urls, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- f.s.Serve(sctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	t.Cleanup(func() { stop(); <-done })
	var home string
	select {
	case home = <-urls:
	case err := <-done:
		t.Fatal(err)
	}
	base := strings.Split(home, "/?")[0]
	dir := artifacts(t)
	ctx, console := browser(t)

	// Overview: the loads, the chart, the cursors.
	step(t, ctx, "open the overview", chromedp.Navigate(home), chromedp.WaitVisible(chromedp.ID("loads")))
	if got := value(t, ctx, "loads count", chromedp.Text(chromedp.ID("loads-count"))); got != "2" {
		t.Fatalf("the overview counts %q loads", got)
	}
	rows := value(t, ctx, "loads table", chromedp.Nodes(chromedp.CSSAll("#loads tbody tr")))
	if len(rows) != 2 {
		t.Fatalf("%d rows in the loads table", len(rows))
	}
	bars := value(t, ctx, "chart bars", chromedp.Evaluate[int](`document.querySelectorAll("svg rect.bar").length`))
	if bars != 2 {
		t.Fatalf("%d bars in the chart", bars)
	}
	// The chart is drawn: its bars have height on the screen.
	if h := value(t, ctx, "bar height", chromedp.Evaluate[float64](`document.querySelector("svg rect.bar").getBoundingClientRect().height`)); h < 5 {
		t.Fatalf("the first load's bar is %.1f px high", h)
	}
	if css := value(t, ctx, "stylesheet", chromedp.Evaluate[string](`getComputedStyle(document.querySelector("nav a")).color`)); css == "rgb(0, 0, 0)" {
		t.Fatal("the stylesheet did not apply")
	}
	shoot(t, ctx, dir, "overview.png")

	// Keyboard: Tab reaches the navigation first.
	step(t, ctx, "tab", chromedp.KeyEvent("\t"))
	if got := value(t, ctx, "focus", chromedp.Evaluate[string](`document.activeElement.textContent`)); got != "Overview" {
		t.Fatalf("the first Tab focuses %q", got)
	}

	// Schema: the diagram has a box per table, each a link; the variant is marked.
	step(t, ctx, "open the schema by its link", chromedp.Click(chromedp.CSS(`nav a[href^="/schema"]`)), chromedp.WaitVisible(chromedp.ID("diagram")))
	stored, err := f.s.dest.ReadStored(context.Background(), f.plan.PipelineName, f.plan.SchemaName)
	if err != nil {
		t.Fatal(err)
	}
	if n := value(t, ctx, "diagram boxes", chromedp.Evaluate[int](`document.querySelectorAll("#diagram a rect.box").length`)); n != len(stored.Schema.Tables) {
		t.Fatalf("the diagram has %d boxes for %d tables", n, len(stored.Schema.Tables))
	}
	if n := value(t, ctx, "diagram links", chromedp.Evaluate[int](`document.querySelectorAll("#diagram path.link").length`)); n == 0 {
		t.Fatal("the diagram draws no relation")
	}
	if !strings.Contains(value(t, ctx, "schema text", chromedp.Text(chromedp.CSS("main"))), "variant of total_usage") {
		t.Fatal("the variant column is not marked")
	}
	shoot(t, ctx, dir, "schema.png")
	diagram := value(t, ctx, "diagram screenshot", chromedp.Screenshot(chromedp.ID("diagram")))
	if err := os.WriteFile(filepath.Join(dir, "schema-diagram.png"), diagram, 0o644); err != nil {
		t.Fatal(err)
	}

	// Data: a box of the diagram leads to the table; next page; sort by id descending.
	step(t, ctx, "open resource_catalog from the diagram", chromedp.Click(chromedp.CSS(`#diagram a[aria-label^="resource_catalog,"]`)), chromedp.WaitVisible(chromedp.ID("rows")))
	if n := len(value(t, ctx, "data rows", chromedp.Nodes(chromedp.CSSAll("#rows tbody tr")))); n != PageSize {
		t.Fatalf("the first page shows %d rows", n)
	}
	step(t, ctx, "next page", chromedp.Click(chromedp.CSS(`a[rel="next"]`)), chromedp.WaitVisible(chromedp.CSS(`a[rel="prev"]`)))
	if got := value(t, ctx, "range", chromedp.Text(chromedp.ID("range"))); !strings.HasPrefix(got, fmt.Sprintf("Rows %d–%d of ", PageSize+1, 2*PageSize)) {
		t.Fatalf("page 2 says %q", got)
	}
	// Sort by id: once ascending, again descending.
	step(t, ctx, "sort by id", chromedp.Click(chromedp.CSS(`#rows th a[title="sort by id"]`)), chromedp.WaitVisible(chromedp.ID("rows")))
	step(t, ctx, "sort by id again", chromedp.Click(chromedp.CSS(`#rows th a[title="sort by id"]`)), chromedp.WaitVisible(chromedp.ID("rows")))
	if got := value(t, ctx, "range", chromedp.Text(chromedp.ID("range"))); !strings.Contains(got, "sorted by id desc") {
		t.Fatalf("after two clicks the page says %q", got)
	}
	maxID, err := f.s.dest.Query(context.Background(), "SELECT max(id) FROM resource_catalog", dest.Rows(1))
	if err != nil {
		t.Fatal(err)
	}
	first := value(t, ctx, "first id", chromedp.Evaluate[string](`(() => {
		const i = [...document.querySelectorAll("#rows th")].findIndex(th => th.textContent.startsWith("id"));
		return document.querySelector("#rows tbody tr").children[i].textContent; })()`))
	if first != maxID.Rows[0][0] {
		t.Fatalf("sorted by id descending, the first row is %q, want %v", first, maxID.Rows[0][0])
	}
	shoot(t, ctx, dir, "data.png")

	// Choosing another table with the form.
	step(t, ctx, "choose collection", chromedp.SetValue(chromedp.ID("table"), "collection"), chromedp.Submit(chromedp.ID("table")), chromedp.WaitVisible(chromedp.ID("rows")))
	if got := value(t, ctx, "url", chromedp.Location()); !strings.Contains(got, "table=collection") {
		t.Fatalf("the form went to %s", got)
	}

	// SQL: a query and its result; then a write, refused plainly.
	step(t, ctx, "open SQL", chromedp.Navigate(base+f.s.link("/sql", nil)), chromedp.WaitVisible(chromedp.ID("q")))
	step(t, ctx, "run a query",
		chromedp.SetValue(chromedp.ID("q"), "SELECT entity_type, count(*) AS n FROM resource_catalog GROUP BY 1 ORDER BY 2 DESC, 1"),
		chromedp.Click(chromedp.ID("run")), chromedp.WaitVisible(chromedp.ID("result")))
	want, err := f.s.dest.Query(context.Background(), "SELECT entity_type, count(*) AS n FROM resource_catalog GROUP BY 1 ORDER BY 2 DESC, 1", dest.Rows(100))
	if err != nil {
		t.Fatal(err)
	}
	cells := value(t, ctx, "result", chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#result tbody tr")].map(r => [...r.children].map(c => c.textContent))`))
	if len(cells) != len(want.Rows) {
		t.Fatalf("%d result rows, want %d", len(cells), len(want.Rows))
	}
	for i, r := range want.Rows {
		if cells[i][0] != r[0] || cells[i][1] != fmt.Sprint(r[1]) {
			t.Fatalf("row %d shows %v, want %v", i, cells[i], r)
		}
	}
	shoot(t, ctx, dir, "sql.png")
	step(t, ctx, "run a write",
		chromedp.SetValue(chromedp.ID("q"), "DELETE FROM resource_catalog"),
		chromedp.Click(chromedp.ID("run")), chromedp.WaitVisible(chromedp.ID("error")))
	if got := value(t, ctx, "error", chromedp.Text(chromedp.ID("error"))); !strings.Contains(got, "only a query") {
		t.Fatalf("the refusal says %q", got)
	}
	shoot(t, ctx, dir, "sql-refused.png")

	// Dark mode: the page follows the system's colour scheme.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "dark mode", chromedp.Navigate(home), chromedp.WaitVisible(chromedp.ID("loads")))
	if bg := value(t, ctx, "background", chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); bg != "rgb(21, 23, 26)" {
		t.Fatalf("dark mode's background is %s", bg)
	}
	shoot(t, ctx, dir, "overview-dark.png")
	step(t, ctx, "dark schema", chromedp.Navigate(base+f.s.link("/schema", nil)), chromedp.WaitVisible(chromedp.ID("diagram")))
	shoot(t, ctx, dir, "schema-dark.png")

	time.Sleep(200 * time.Millisecond) // let the last console messages arrive
	if lines := console.all(); len(lines) > 0 {
		t.Fatalf("the pages wrote to the console:\n%s", strings.Join(lines, "\n"))
	}
	t.Logf("screenshots in %s", dir)
}

// seenRequest is one request the dashboard answered, as the browser sent it.
type seenRequest struct {
	method, path, origin string
	token                bool // it carried the dashboard's token (in its URL: there is no cookie)
	status               int
}

// requestLog records what reaches a handler and how it answered.
type requestLog struct {
	mu   sync.Mutex
	seen []seenRequest
}

func (l *requestLog) wrap(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		l.mu.Lock()
		l.seen = append(l.seen, seenRequest{r.Method, r.URL.Path, r.Header.Get("Origin"), r.URL.Query().Get("token") == token, sw.status})
		l.mu.Unlock()
	})
}

// last is the last request of method to path, waiting for it a while.
func (l *requestLog) last(t *testing.T, method, path string) seenRequest {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		l.mu.Lock()
		for i := len(l.seen) - 1; i >= 0; i-- {
			if s := l.seen[i]; s.method == method && s.path == path {
				l.mu.Unlock()
				return s
			}
		}
		l.mu.Unlock()
	}
	t.Fatalf("the browser sent no %s %s", method, path)
	return seenRequest{}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// attackPages are what a page that another program on this machine serves can make a
// browser do to the dashboard at dash, with no script of the dashboard's and no token:
// post the SQL form, and send a query and a read with credentials, answers unread.
func attackPages(dash string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>another page</title>
<form id="f" method="post" action="%s/sql"><input name="q" value="SELECT 'from another page' AS pwned"></form>
<script>addEventListener("load", () => setTimeout(() => document.getElementById("f").submit(), 10))</script>`, dash)
	})
	mux.HandleFunc("GET /fetch", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>another page</title><p id="out">sending</p>
<script>
const out = document.getElementById("out");
Promise.all([
  fetch("%[1]s/api/query", {method: "POST", mode: "no-cors", credentials: "include", headers: {"Content-Type": "text/plain"}, body: JSON.stringify({sql: "SELECT 42 AS pwned"})}),
  fetch("%[1]s/api/rows?table=resource_catalog&sort=id", {mode: "no-cors", credentials: "include"}),
]).then(() => out.textContent = "answered", e => out.textContent = "failed: " + e).finally(() => out.id = "done");
</script>`, dash)
	})
	return mux
}

// TestPagesOfOtherPortsCannotUseTheDashboard: with the dashboard open, a page served
// from another port of 127.0.0.1, the same site, posts the SQL form and fetches
// /api/query (text/plain, no-cors, with credentials) and /api/rows. Opening the
// dashboard set no cookie, so the browser has nothing to send along: the dashboard
// refuses each, and runs and reads nothing. Then the dashboard's own SQL page, in the
// same browser, runs its query.
func TestPagesOfOtherPortsCannotUseTheDashboard(t *testing.T) {
	if os.Getenv(integrationEnv) == "" {
		t.Skip("needs the Chromium that scripts/test installs (" + integrationEnv + "=1)")
	}
	f := project(t)
	f.run(t)
	counted := f.count()
	log := &requestLog{}
	dash := httptest.NewServer(log.wrap(f.s.Token(), f.s))
	t.Cleanup(dash.Close)
	other := httptest.NewServer(attackPages(dash.URL))
	t.Cleanup(other.Close)
	if !strings.HasPrefix(other.URL, "http://127.0.0.1:") || other.URL == dash.URL {
		t.Fatalf("the other page is at %s, the dashboard at %s", other.URL, dash.URL)
	}
	ctx, _ := browser(t)

	step(t, ctx, "open the dashboard with its token", chromedp.Navigate(f.s.URL(dash.Listener.Addr().String())), chromedp.WaitVisible(chromedp.ID("loads")))
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	jar, err := chromedp.Call(cctx, network.GetCookies, network.GetCookiesParams{URLs: []string{dash.URL, other.URL}})
	cancel()
	if err != nil {
		t.Fatalf("reading the browser's cookies: %v", err)
	}
	if len(jar.Cookies) != 0 {
		t.Fatalf("the dashboard set cookies, which the browser sends to every port of 127.0.0.1: %+v", jar.Cookies)
	}
	reads, queries := counted.reads.Load(), f.s.queries.Load()

	step(t, ctx, "another page fetches", chromedp.Navigate(other.URL+"/fetch"), chromedp.WaitVisible(chromedp.ID("done")))
	if got := value(t, ctx, "fetch outcome", chromedp.Text(chromedp.ID("done"))); got != "answered" {
		t.Fatalf("the other page's fetches: %s", got)
	}
	step(t, ctx, "another page posts the SQL form", chromedp.Navigate(other.URL+"/form"))
	// The form submits itself after its page has loaded; the browser then shows the
	// refusal. Navigating on before that page has loaded aborts one navigation or the
	// other, so wait for it.
	settled(t, ctx, dash.URL+"/sql")
	for _, want := range []struct{ method, path string }{{"POST", "/api/query"}, {"GET", "/api/rows"}, {"POST", "/sql"}} {
		got := log.last(t, want.method, want.path)
		if got.token || got.origin != other.URL && want.method == "POST" || got.status != http.StatusForbidden {
			t.Errorf("%s %s from the other page: %+v, want it sent without the token and refused with 403", want.method, want.path, got)
		}
	}
	if n := f.s.queries.Load() - queries; n != 0 {
		t.Fatalf("the other page's requests ran %d queries", n)
	}
	if n := counted.reads.Load() - reads; n != 0 {
		t.Fatalf("the other page's requests read the dataset %d times", n)
	}

	// The dashboard's own SQL page, its links carrying the token, still runs its query.
	step(t, ctx, "open SQL", chromedp.Navigate(dash.URL+f.s.link("/sql", nil)), chromedp.WaitVisible(chromedp.ID("q")))
	step(t, ctx, "run a query", chromedp.SetValue(chromedp.ID("q"), "SELECT count(*) AS n FROM resource_catalog"),
		chromedp.Click(chromedp.ID("run")), chromedp.WaitVisible(chromedp.ID("result")))
	if got := log.last(t, "POST", "/sql"); !got.token || got.origin != dash.URL || got.status != http.StatusOK {
		t.Fatalf("the SQL page's own form: %+v", got)
	}
	if n := f.s.queries.Load() - queries; n != 1 {
		t.Fatalf("the SQL page's own form ran %d queries", n)
	}
}

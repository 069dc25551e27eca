package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// newKey makes an API key at run time, so that no key is ever written in the source.
func newKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// harness is a simulator behind a real HTTP server, with the key it accepts.
type harness struct {
	sim *Server
	srv *httptest.Server
	key string
}

func start(t testing.TB, opts Options) *harness {
	t.Helper()
	if len(opts.APIKeys) == 0 {
		opts.APIKeys = []string{newKey(t)}
	}
	sim, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &harness{sim: sim, srv: srv, key: opts.APIKeys[0]}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// send sends method to target, a path on the server or an absolute URL, with key
// ("" sends no Authorization at all). It returns errors rather than failing the test,
// so that goroutines other than the test's may call it.
func (h *harness) send(method, target, key string, body io.Reader) (response, error) {
	if !strings.HasPrefix(target, "http://") {
		target = h.srv.URL + target
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return response{}, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading body: %w", method, target, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (h *harness) requestWithKey(t testing.TB, method, target, key string, body io.Reader) response {
	t.Helper()
	r, err := h.send(method, target, key, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (h *harness) request(t testing.TB, method, target string, body io.Reader) response {
	t.Helper()
	return h.requestWithKey(t, method, target, h.key, body)
}

func (h *harness) get(t testing.TB, target string) response {
	t.Helper()
	return h.request(t, http.MethodGet, target, nil)
}

// getJSON GETs target, requires a 200 and decodes the body into v.
func (h *harness) getJSON(t testing.TB, target string, v any) {
	t.Helper()
	r := h.get(t, target)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %.300s", target, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("GET %s: %v in %.300s", target, err, r.body)
	}
}

// envelope is the list answer as a client reads it. The audit log's puts next and
// previous at the top level, with no meta and no total_pages.
type envelope struct {
	Links struct {
		Next     *string `json:"next"`
		Previous *string `json:"previous"`
	} `json:"links"`
	Meta struct {
		Page         int  `json:"page"`
		PreviousPage *int `json:"previous_page"`
		NextPage     *int `json:"next_page"`
		Count        *int `json:"count"`
		TotalPages   *int `json:"total_pages"`
	} `json:"meta"`
	Count      int              `json:"count"`
	TotalPages int              `json:"total_pages"`
	Next       *string          `json:"next"`
	Results    []map[string]any `json:"results"`
}

// next is the page's next link, wherever the envelope puts it.
func (e *envelope) next() *string {
	if e.Next != nil {
		return e.Next
	}
	return e.Links.Next
}

// walk follows the next links from path to the last page, as a client would, checking
// on the way what a client relies on to page safely, and returns every record in order.
func (h *harness) walk(t testing.TB, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	next := h.srv.URL + path
	count, pages := -1, 0
	for page := 1; next != ""; page++ {
		if count >= 0 && pages > 0 && page > pages {
			t.Fatalf("%s: next link past the last page %d: %s", path, pages, next)
		}
		var env envelope
		h.getJSON(t, next, &env)
		if count < 0 {
			count, pages = env.Count, env.TotalPages
		}
		if env.Count != count || env.TotalPages != pages {
			t.Fatalf("%s page %d: count/total_pages %d/%d, page 1 said %d/%d", path, page, env.Count, env.TotalPages, count, pages)
		}
		if drf := strings.Contains(path, "notification/workspace"); !drf && env.Meta.Page != page {
			t.Fatalf("%s: meta.page %d on page %d", path, env.Meta.Page, page)
		}
		out = append(out, env.Results...)
		next = ""
		if n := env.next(); n != nil {
			next = *n
			if !strings.HasPrefix(next, h.srv.URL+"/") {
				t.Fatalf("%s page %d: next link %q is not an absolute URL on %s", path, page, next, h.srv.URL)
			}
		}
	}
	if len(out) != count {
		t.Fatalf("%s: walked %d records, count says %d", path, len(out), count)
	}
	return out
}

// walkAll is every record Server.Walk gives for an endpoint.
func walkAll(s *Server, endpoint string) []map[string]any {
	var out []map[string]any
	s.Walk(endpoint, func(r map[string]any) bool { out = append(out, r); return true })
	return out
}

// ids lists the records' ids, sorted, for comparing sets.
func ids(recs []map[string]any) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		id, _ := r["id"].(string)
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// where is the oracle side of a filter test: the records keep accepts, computed here
// in Go rather than by the simulator.
func where(recs []map[string]any, keep func(map[string]any) bool) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// fakeClock is Options.Now under the test's control, so timestamps and rate windows
// are exact rather than racing the wall clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var (
	uuidV4    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	timestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
)

// detail decodes a JSON error body's "detail".
func detail(t testing.TB, r response) string {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("error body is not JSON: %v: %.200s", err, r.body)
	}
	d, ok := body["detail"].(string)
	if !ok || len(body) != 1 {
		t.Fatalf(`error body is not {"detail": "..."}: %s`, r.body)
	}
	return d
}

// urlQuery is a test's JSON filter or sort as a query parameter.
func urlQuery(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return v.Encode()
}

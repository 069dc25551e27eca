package secoda_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// newKey makes a key for one test; keys are never written in the source.
func newKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

type fixture struct {
	sim  *simulator.Server
	srv  *httptest.Server
	key  string
	logs *bytes.Buffer
	mu   sync.Mutex
	evs  []secoda.Event
}

// newSim starts a simulator on loopback with a generated key.
func newSim(t testing.TB, opts simulator.Options) *fixture {
	t.Helper()
	f := &fixture{key: newKey(t), logs: &bytes.Buffer{}}
	opts.APIKeys = append(opts.APIKeys, f.key)
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.sim = sim
	f.srv = httptest.NewServer(sim)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) baseURL() string { return f.srv.URL + "/api/v1" }

// client builds a fast-retrying client; tune adjusts it.
func (f *fixture) client(t testing.TB, tune func(*secoda.Config)) *secoda.Client {
	t.Helper()
	cfg := secoda.Config{
		BaseURL:           f.baseURL(),
		APIKey:            f.key,
		RequestsPerMinute: -1,
		BaseBackoff:       time.Millisecond,
		MaxRetryDelay:     2 * time.Second,
		RequestTimeout:    5 * time.Second,
		Logger:            slog.New(slog.NewTextHandler(&lockedWriter{w: f.logs, mu: &f.mu}, nil)),
		OnEvent: func(e secoda.Event) {
			f.mu.Lock()
			f.evs = append(f.evs, e)
			f.mu.Unlock()
		},
	}
	if tune != nil {
		tune(&cfg)
	}
	c, err := secoda.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) events() []secoda.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]secoda.Event(nil), f.evs...)
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// readAll reads every page of an endpoint and returns the ids in order.
func readAll(ctx context.Context, c *secoda.Client, e secoda.Endpoint, params url.Values) ([]string, *secoda.Page, error) {
	var ids []string
	var first *secoda.Page
	for page, err := range c.Pages(ctx, secoda.PageQuery{Path: e.Path, Params: params, Selector: e.Selector}) {
		if err != nil {
			return ids, first, err
		}
		if first == nil {
			first = page
		}
		for _, r := range page.Records {
			var rec struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(r, &rec); err != nil {
				return ids, first, err
			}
			ids = append(ids, rec.ID)
		}
	}
	return ids, first, nil
}

func endpoint(t testing.TB, name string) secoda.Endpoint {
	t.Helper()
	e, ok := secoda.LookupEndpoint(name)
	if !ok {
		t.Fatalf("no endpoint %q", name)
	}
	return e
}

func TestNewRefusesMissingKeyAndBadURL(t *testing.T) {
	_, err := secoda.New(secoda.Config{BaseURL: "http://127.0.0.1:1/api/v1"})
	if !errors.Is(err, secoda.ErrNoKey) || !strings.Contains(err.Error(), "secrets set") {
		t.Fatalf("no key: %v", err)
	}
	_, err = secoda.New(secoda.Config{BaseURL: "http://example.com/api/v1", APIKey: newKey(t)})
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Fatalf("plain http to a remote host: %v", err)
	}
}

func TestReadsEveryListEndpointToTheEnd(t *testing.T) {
	f := newSim(t, simulator.Options{})
	c := f.client(t, nil)
	for _, e := range secoda.Endpoints {
		if e.Parent != "" {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			ids, first, err := readAll(context.Background(), c, e, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) == 0 {
				t.Fatal("no records")
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("id %s read twice", id)
				}
				seen[id] = true
			}
			if e.Paginated && first.Count != len(ids) {
				t.Fatalf("read %d records, the server counts %d", len(ids), first.Count)
			}
		})
	}
}

func TestSendsBearerKeyAndUserAgentWithVersion(t *testing.T) {
	key := newKey(t)
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id": "x"}`)
	}))
	defer srv.Close()
	c, err := secoda.New(secoda.Config{BaseURL: srv.URL + "/api/v1", APIKey: key, RequestsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(context.Background(), "resource/all/x", nil); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "Bearer "+key {
		t.Errorf("Authorization header is not the bearer key")
	}
	if ua := got.Get("User-Agent"); !strings.HasPrefix(ua, "secoda-workbench/") || len(ua) <= len("secoda-workbench/") {
		t.Errorf("User-Agent = %q, want secoda-workbench/<version>", ua)
	}
}

func TestErrorsAnAgentCanActOn(t *testing.T) {
	f := newSim(t, simulator.Options{})
	ctx := context.Background()

	t.Run("key rejected, not retried", func(t *testing.T) {
		c := f.client(t, func(cfg *secoda.Config) { cfg.APIKey = newKey(t) })
		_, _, err := readAll(ctx, c, endpoint(t, "document"), nil)
		var e *secoda.Error
		if !errors.As(err, &e) || !errors.Is(err, secoda.ErrKeyRejected) {
			t.Fatalf("want ErrKeyRejected, got %v", err)
		}
		if e.Status != 401 || e.Attempts != 1 || e.Path != "/api/v1/document/" {
			t.Fatalf("status %d attempts %d path %q", e.Status, e.Attempts, e.Path)
		}
		for _, want := range []string{"/api/v1/document/", "HTTP 401", "Invalid token.", "secoda-workbench secrets set", "eapi.secoda.co"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
	t.Run("not found", func(t *testing.T) {
		c := f.client(t, nil)
		_, _, err := readAll(ctx, c, secoda.Endpoint{Path: "tables/everything", Selector: "results"}, nil)
		if !errors.Is(err, secoda.ErrNotFound) || !strings.Contains(err.Error(), "secoda-workbench endpoints") {
			t.Fatalf("want ErrNotFound with a hint, got %v", err)
		}
		_, err = c.Get(ctx, "resource/all/not-a-uuid", nil)
		if !errors.Is(err, secoda.ErrNotFound) {
			t.Fatalf("a malformed id: want ErrNotFound, got %v", err)
		}
	})
	t.Run("bad filter, not retried", func(t *testing.T) {
		c := f.client(t, nil)
		_, _, err := readAll(ctx, c, endpoint(t, "resource_catalog"), url.Values{"filter": {`{"operator": "gt"}`}})
		var e *secoda.Error
		if !errors.As(err, &e) || !errors.Is(err, secoda.ErrBadRequest) || e.Attempts != 1 {
			t.Fatalf("want ErrBadRequest on the first attempt, got %v", err)
		}
		if !strings.Contains(err.Error(), "unknown operator") {
			t.Fatalf("the server's reason is lost: %v", err)
		}
	})
	t.Run("html from the web app, not retried", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><title>Secoda</title>")
		}))
		defer srv.Close()
		c, _ := secoda.New(secoda.Config{BaseURL: srv.URL, APIKey: newKey(t), RequestsPerMinute: -1})
		_, _, err := readAll(ctx, c, endpoint(t, "document"), nil)
		var e *secoda.Error
		if !errors.As(err, &e) || !errors.Is(err, secoda.ErrBadResponse) || e.Attempts != 1 || !strings.Contains(err.Error(), "not the web app") {
			t.Fatalf("want ErrBadResponse naming the web app, got %v", err)
		}
	})
	t.Run("unexpected shape", func(t *testing.T) {
		c := f.client(t, nil)
		_, _, err := readAll(ctx, c, secoda.Endpoint{Path: "document", Selector: "data"}, nil)
		if !errors.Is(err, secoda.ErrBadResponse) || !strings.Contains(err.Error(), `no "data"`) || !strings.Contains(err.Error(), "data selector") {
			t.Fatalf("want a shape error naming the selector, got %v", err)
		}
	})
}

func TestRetriesServerErrorsDropsAndMalformedPages(t *testing.T) {
	tests := []struct {
		name   string
		faults simulator.Faults
		reason string
		kind   error
	}{
		{"5xx", simulator.Faults{ServerErrorRate: 0.3}, "server error", secoda.ErrServerFailing},
		{"dropped connections", simulator.Faults{DropRate: 0.3}, "network", secoda.ErrUnreachable},
		{"malformed pages", simulator.Faults{MalformedRate: 0.3}, "malformed answer", secoda.ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSim(t, simulator.Options{Seed: 7, Faults: tt.faults})
			c := f.client(t, func(cfg *secoda.Config) { cfg.MaxAttempts = 10 })
			ids, first, err := readAll(context.Background(), c, endpoint(t, "resource_catalog"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != first.Count {
				t.Fatalf("read %d of %d", len(ids), first.Count)
			}
			evs := f.events()
			if len(evs) == 0 || evs[0].Reason != tt.reason {
				t.Fatalf("want retries for %q, got %+v", tt.reason, evs)
			}
			if st := c.Stats(); st.Retries == 0 || st.Requests != int64(first.TotalPages)+st.Retries {
				t.Fatalf("stats %+v do not add up for %d pages", st, first.TotalPages)
			}

			// Always failing: the kind of failure, after exactly MaxAttempts tries.
			always := tt.faults
			always.ServerErrorRate, always.DropRate, always.MalformedRate = ceil1(always.ServerErrorRate), ceil1(always.DropRate), ceil1(always.MalformedRate)
			f.sim.SetFaults(always)
			c = f.client(t, func(cfg *secoda.Config) { cfg.MaxAttempts = 3 })
			_, _, err = readAll(context.Background(), c, endpoint(t, "resource_catalog"), nil)
			var e *secoda.Error
			if !errors.As(err, &e) || !errors.Is(err, tt.kind) || e.Attempts != 3 {
				t.Fatalf("want %v after 3 attempts, got %v", tt.kind, err)
			}
		})
	}
}

func ceil1(x float64) float64 {
	if x > 0 {
		return 1
	}
	return 0
}

func TestRateLimitedHonoursRetryAfter(t *testing.T) {
	modes := []simulator.RetryAfterMode{simulator.RetryAfterSeconds, simulator.RetryAfterDate, simulator.RetryAfterZero, simulator.RetryAfterNone}
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			f := newSim(t, simulator.Options{RateLimit: 2, Minute: 300 * time.Millisecond, RetryAfter: mode})
			c := f.client(t, func(cfg *secoda.Config) {
				cfg.BaseBackoff = 20 * time.Millisecond
				cfg.MaxAttempts = 20
			})
			ids, first, err := readAll(context.Background(), c, endpoint(t, "resource_catalog"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != first.Count {
				t.Fatalf("read %d of %d", len(ids), first.Count)
			}
			evs := f.events()
			if len(evs) == 0 {
				t.Fatal("the server never answered 429")
			}
			for _, e := range evs {
				if e.Reason != "rate limited" || e.Status != 429 {
					t.Fatalf("unexpected retry %+v", e)
				}
				// Even "Retry-After: 0" waits a back-off: never hammer.
				if e.Wait < 10*time.Millisecond {
					t.Fatalf("retried after %v, under the minimum back-off", e.Wait)
				}
				if mode == simulator.RetryAfterSeconds && e.Wait < time.Second {
					t.Fatalf("Retry-After: 1 honoured as %v", e.Wait)
				}
			}
		})
	}
}

func TestRateLimitedPastAllRetriesAndTooLongAWait(t *testing.T) {
	f := newSim(t, simulator.Options{RateLimit: 1, Minute: time.Hour, RetryAfter: simulator.RetryAfterZero})
	c := f.client(t, func(cfg *secoda.Config) { cfg.MaxAttempts = 3 })
	_, _, err := readAll(context.Background(), c, endpoint(t, "resource_catalog"), nil)
	var e *secoda.Error
	if !errors.As(err, &e) || !errors.Is(err, secoda.ErrRateLimited) || e.Attempts != 3 || !strings.Contains(err.Error(), "rate_limit") {
		t.Fatalf("want ErrRateLimited after 3 attempts with a hint, got %v", err)
	}

	// The server asks for an hour, more than the client's cap: stop at once, say why.
	f = newSim(t, simulator.Options{RateLimit: 1, Minute: time.Hour, RetryAfter: simulator.RetryAfterSeconds})
	c = f.client(t, nil)
	_, _, err = readAll(context.Background(), c, endpoint(t, "resource_catalog"), nil)
	if !errors.As(err, &e) || !errors.Is(err, secoda.ErrRateLimited) || e.Attempts != 1 || !strings.Contains(err.Error(), "asks to wait 1h0m0s") {
		t.Fatalf("want an immediate ErrRateLimited naming the wait, got %v", err)
	}
}

func TestTimeoutsAreRetriedThenReported(t *testing.T) {
	f := newSim(t, simulator.Options{Faults: simulator.Faults{Latency: time.Second}})
	c := f.client(t, func(cfg *secoda.Config) {
		cfg.RequestTimeout = 30 * time.Millisecond
		cfg.MaxAttempts = 2
	})
	_, _, err := readAll(context.Background(), c, endpoint(t, "document"), nil)
	var e *secoda.Error
	if !errors.As(err, &e) || !errors.Is(err, secoda.ErrUnreachable) || e.Attempts != 2 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want ErrUnreachable wrapping a deadline after 2 attempts, got %v", err)
	}
}

func TestCancelStopsPromptly(t *testing.T) {
	f := newSim(t, simulator.Options{Faults: simulator.Faults{Latency: 10 * time.Second}})
	c := f.client(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, _, err := readAll(ctx, c, endpoint(t, "document"), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestPaginationLoopAndPageCap(t *testing.T) {
	f := newSim(t, simulator.Options{Faults: simulator.Faults{LoopAtPage: 3}})
	c := f.client(t, nil)
	ids, _, err := readAll(context.Background(), c, endpoint(t, "resource_catalog"), nil)
	if !errors.Is(err, secoda.ErrPaginationLoop) || !strings.Contains(err.Error(), "page 3 links to") {
		t.Fatalf("want ErrPaginationLoop at page 3, got %v", err)
	}
	if len(ids) != 3*simulator.DefaultPageSize {
		t.Fatalf("read %d records before the loop, want the 3 pages' %d", len(ids), 3*simulator.DefaultPageSize)
	}

	f = newSim(t, simulator.Options{})
	c = f.client(t, nil)
	var pages int
	var last error
	for _, err := range c.Pages(context.Background(), secoda.PageQuery{Path: "resource/catalog", PageCap: 2}) {
		if err != nil {
			last = err
			break
		}
		pages++
	}
	if pages != 2 || !errors.Is(last, secoda.ErrPageCap) || !strings.Contains(last.Error(), "page_cap") {
		t.Fatalf("want 2 pages then ErrPageCap, got %d pages and %v", pages, last)
	}
}

// TestNeverSendsTheKeyToAnotherHost: a next link or a redirect to another host is
// refused with an error naming both hosts, and the other host never sees the key.
func TestNeverSendsTheKeyToAnotherHost(t *testing.T) {
	var foreignHits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"results": [], "links": {"next": null}}`)
	}))
	defer foreign.Close()
	foreignURL, _ := url.Parse(foreign.URL)

	t.Run("next link", func(t *testing.T) {
		f := newSim(t, simulator.Options{Faults: simulator.Faults{NextLinkBase: foreign.URL}})
		c := f.client(t, nil)
		_, _, err := readAll(context.Background(), c, endpoint(t, "resource_catalog"), nil)
		if !errors.Is(err, secoda.ErrForeignHost) {
			t.Fatalf("want ErrForeignHost, got %v", err)
		}
		simURL, _ := url.Parse(f.srv.URL)
		if !strings.Contains(err.Error(), simURL.Host) || !strings.Contains(err.Error(), foreignURL.Host) {
			t.Fatalf("error %q does not name both hosts", err)
		}
	})
	t.Run("https to http downgrade on the same host", func(t *testing.T) {
		f := newSim(t, simulator.Options{})
		u, _ := url.Parse(f.srv.URL)
		// A next link naming the same host on another scheme is another origin.
		f.sim.SetFaults(simulator.Faults{NextLinkBase: "https://" + u.Host})
		c := f.client(t, nil)
		_, _, err := readAll(context.Background(), c, endpoint(t, "resource_catalog"), nil)
		if !errors.Is(err, secoda.ErrForeignHost) {
			t.Fatalf("want ErrForeignHost, got %v", err)
		}
	})
	t.Run("redirect", func(t *testing.T) {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/v1/same/") {
				http.Redirect(w, r, "/api/v1/final/", http.StatusFound)
				return
			}
			if strings.HasPrefix(r.URL.Path, "/api/v1/final/") {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"id": "ok"}`)
				return
			}
			http.Redirect(w, r, foreign.URL+"/steal", http.StatusFound)
		}))
		defer redirector.Close()
		c, err := secoda.New(secoda.Config{BaseURL: redirector.URL + "/api/v1", APIKey: newKey(t), RequestsPerMinute: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(context.Background(), "same", nil); err != nil {
			t.Fatalf("a redirect on the same host must be followed: %v", err)
		}
		_, err = c.Get(context.Background(), "elsewhere", nil)
		if !errors.Is(err, secoda.ErrForeignHost) || !strings.Contains(err.Error(), foreignURL.Host) {
			t.Fatalf("want ErrForeignHost naming %s, got %v", foreignURL.Host, err)
		}
	})
	if n := foreignHits.Load(); n != 0 {
		t.Fatalf("the foreign host was asked %d times", n)
	}
}

func TestPostIsNotRetriedOnServerErrors(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	c, _ := secoda.New(secoda.Config{BaseURL: srv.URL, APIKey: newKey(t), RequestsPerMinute: -1, BaseBackoff: time.Millisecond})
	_, err := c.Do(context.Background(), http.MethodPost, "tag", map[string]string{"name": "x"})
	if !errors.Is(err, secoda.ErrServerFailing) || hits.Load() != 1 {
		t.Fatalf("POST: %v after %d requests, want one request", err, hits.Load())
	}
	hits.Store(0)
	_, err = c.Do(context.Background(), http.MethodPatch, "tag/x", map[string]string{"name": "x"})
	if !errors.Is(err, secoda.ErrServerFailing) || hits.Load() != secoda.DefaultMaxAttempts {
		t.Fatalf("PATCH: %v after %d requests, want %d", err, hits.Load(), secoda.DefaultMaxAttempts)
	}
}

func TestPatchBumpsUpdatedAt(t *testing.T) {
	f := newSim(t, simulator.Options{})
	c := f.client(t, nil)
	ctx := context.Background()
	var first *secoda.Page
	for p, err := range c.Pages(ctx, secoda.PageQuery{Path: "resource/catalog"}) {
		if err != nil {
			t.Fatal(err)
		}
		first = p
		break
	}
	var rec struct {
		ID        string `json:"id"`
		UpdatedAt string `json:"updated_at"`
	}
	if err := json.Unmarshal(first.Records[0], &rec); err != nil {
		t.Fatal(err)
	}
	out, err := c.Do(ctx, http.MethodPatch, "resource/all/"+rec.ID, map[string]string{"description": "patched"})
	if err != nil {
		t.Fatal(err)
	}
	var after struct {
		UpdatedAt   string `json:"updated_at"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(out, &after); err != nil {
		t.Fatal(err)
	}
	if after.Description != "patched" || after.UpdatedAt <= rec.UpdatedAt {
		t.Fatalf("after PATCH: %+v, before updated_at %s", after, rec.UpdatedAt)
	}
}

// TestRateLimitsDoNotUseUpFailureRetries: a request that meets two 429s and two 5xx
// answers succeeds with three tries for each kind.
func TestRateLimitsDoNotUseUpFailureRetries(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1, 3:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2, 4:
			w.WriteHeader(http.StatusBadGateway)
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id": "x"}`)
		}
	}))
	defer srv.Close()
	c, err := secoda.New(secoda.Config{BaseURL: srv.URL, APIKey: newKey(t), RequestsPerMinute: -1, MaxAttempts: 3, BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(context.Background(), "resource/all/x", nil); err != nil {
		t.Fatalf("after 2 429s and 2 502s with 3 tries each: %v", err)
	}
	if st := c.Stats(); st.Requests != 5 || st.RateLimited != 2 || st.ServerErrors != 2 || st.Retries != 4 {
		t.Fatalf("stats %+v", st)
	}
}

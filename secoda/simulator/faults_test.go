package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

var faultPaths = []string{
	"/api/v1/resource/catalog/", "/api/v1/resource/catalog/?page=2", "/api/v1/document/", "/api/v1/user/",
	"/api/v1/resource/all_v2/custom_properties", "/api/v1/tag/", "/api/v1/no/such/path",
}

func TestServerErrors(t *testing.T) {
	h := start(t, Options{Seed: 1, Faults: Faults{ServerErrorRate: 1}})
	ws := h.sim.Workspace()
	paths := append(faultPaths, "/api/v1/resource/all/"+ws.ID(ws.index(kTable, 0)))
	// The kind of error is drawn per request; enough requests meet all three.
	wantType := map[int]string{500: "application/json", 502: "text/html", 503: "text/plain"}
	seen := map[int]int{}
	n := 0
	for range 5 {
		for _, p := range paths {
			r := h.get(t, p)
			n++
			ct, ok := wantType[r.status]
			if !ok {
				t.Fatalf("GET %s: %d, want 500, 502 or 503", p, r.status)
			}
			seen[r.status]++
			if r.header.Get("Content-Type") != ct {
				t.Errorf("%d with Content-Type %q, want %q", r.status, r.header.Get("Content-Type"), ct)
			}
			if (r.status == 500) != json.Valid(r.body) {
				t.Errorf("%d: body %q: only the 500 is JSON", r.status, r.body)
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("statuses %v, want all of 500, 502 and 503", seen)
	}
	if r := h.requestWithKey(t, http.MethodGet, "/api/v1/healthcheck", "", nil); r.status != http.StatusOK {
		t.Errorf("healthcheck under faults: %d", r.status)
	}
	st := h.sim.Stats()
	if st.ServerErrors != int64(n) || st.Requests != int64(n) || st.OK != 0 {
		t.Errorf("Stats %+v after %d failed requests", st, n)
	}
}

func TestDroppedConnections(t *testing.T) {
	h := start(t, Options{Seed: 1, Faults: Faults{DropRate: 1}})
	// A fresh connection per request: on a reused one the transport would retry a
	// dropped GET by itself and the count would be the transport's, not ours.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, p := range faultPaths {
		req, err := http.NewRequest(http.MethodGet, h.srv.URL+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+h.key)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s: %d, want a transport error", p, resp.StatusCode)
		}
	}
	if st := h.sim.Stats(); st.Dropped != int64(len(faultPaths)) || st.OK != 0 {
		t.Errorf("Stats %+v after %d dropped requests", st, len(faultPaths))
	}
}

func TestMalformedPages(t *testing.T) {
	h := start(t, Options{Seed: 1, Faults: Faults{MalformedRate: 1}})
	paths := []string{"/api/v1/resource/catalog/", "/api/v1/resource/catalog/?page=4", "/api/v1/user/", "/api/v1/lineage/manual/"}
	for _, p := range paths {
		r := h.get(t, p)
		if r.status != http.StatusOK || json.Valid(r.body) || len(r.body) == 0 {
			t.Errorf("GET %s: %d with %d bytes, valid JSON %v: want a 200 whose JSON is cut short", p, r.status, len(r.body), json.Valid(r.body))
		}
	}
	if got := h.sim.Stats().Malformed; got != int64(len(paths)) {
		t.Errorf("Stats().Malformed = %d, want %d", got, len(paths))
	}
}

func TestLoopAtPage(t *testing.T) {
	h := start(t, Options{Seed: 1, Faults: Faults{LoopAtPage: 2}})
	want := map[int]int{1: 2, 2: 1, 3: 4} // page: the page its next link names
	for page, next := range want {
		var env envelope
		h.getJSON(t, "/api/v1/resource/catalog/?"+urlQuery("page", strconv.Itoa(page), "filter", `{"operator":"is_set","field":"title"}`), &env)
		if env.Links.Next == nil || !strings.HasSuffix(*env.Links.Next, "&page="+strconv.Itoa(next)) || intOrZero(env.Meta.NextPage) != next {
			t.Errorf("page %d: next %v, meta.next_page %v, want page %d", page, env.Links.Next, env.Meta.NextPage, next)
		}
	}
}

func TestTypeChange(t *testing.T) {
	cases := []struct {
		name, path string
		faults     Faults
		changed    string // the field that turns to text
		unchanged  string // a number field that stays one
	}{
		{"default field", "/api/v1/resource/catalog/", Faults{TypeChangeFromPage: 2}, "total_usage", "internal_usage"},
		{"another field", "/api/v1/resource/catalog/", Faults{TypeChangeFromPage: 2, TypeChangeField: "internal_usage"}, "internal_usage", "total_usage"},
		{"votes_sum of questions", "/api/v1/question/questions/", Faults{TypeChangeFromPage: 2, TypeChangeField: "votes_sum"}, "votes_sum", "none"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := start(t, Options{Seed: 1, PageSize: 4, Faults: c.faults})
			for page := 1; page <= 3; page++ {
				var env envelope
				h.getJSON(t, c.path+"?page="+strconv.Itoa(page), &env)
				for _, r := range env.Results {
					_, isText := r[c.changed].(string)
					_, isNumber := r[c.changed].(float64)
					if page < 2 && !isNumber || page >= 2 && !isText {
						t.Errorf("page %d: %s = %#v", page, c.changed, r[c.changed])
					}
					if _, ok := r[c.unchanged].(float64); c.unchanged != "none" && !ok {
						t.Errorf("page %d: %s = %#v changed too", page, c.unchanged, r[c.unchanged])
					}
				}
			}
		})
	}
}

func TestNextLinkBase(t *testing.T) {
	base := "http://other.example:8080"
	h := start(t, Options{Seed: 1, Faults: Faults{NextLinkBase: base}})
	var env envelope
	h.getJSON(t, "/api/v1/resource/catalog/?page=2", &env)
	// The link's path is as the docs print it: no /api/v1, a trailing slash.
	if env.Links.Next == nil || *env.Links.Next != base+"/resource/catalog/?page=3" {
		t.Errorf("next %v", env.Links.Next)
	}
	if env.Links.Previous == nil || *env.Links.Previous != base+"/resource/catalog/?page=1" {
		t.Errorf("previous %v", env.Links.Previous)
	}
}

func TestLatencyGivesUpWhenTheClientDoes(t *testing.T) {
	key := newKey(t)
	sim, err := New(Options{APIKeys: []string{key}, Faults: Faults{Latency: 24 * time.Hour, LatencyJitter: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/resource/catalog/", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	// Returns only because the client is gone; the latency is a day.
	sim.ServeHTTP(rec, req)
	if rec.Body.Len() != 0 {
		t.Errorf("answered a client that went away: %.100s", rec.Body.String())
	}
	if st := sim.Stats(); st.Requests != 1 || st.OK != 0 {
		t.Errorf("Stats %+v", st)
	}
	// The healthcheck carries no injected latency at all.
	hc := httptest.NewRecorder()
	sim.ServeHTTP(hc, httptest.NewRequest(http.MethodGet, "/healthcheck", nil))
	if hc.Code != http.StatusOK {
		t.Errorf("healthcheck: %d", hc.Code)
	}
}

func TestLatencyStillAnswers(t *testing.T) {
	h := start(t, Options{Seed: 1, Faults: Faults{Latency: time.Millisecond, LatencyJitter: time.Millisecond}})
	var env envelope
	h.getJSON(t, "/api/v1/tag/", &env)
	if env.Count == 0 {
		t.Error("no tags")
	}
}

func TestFaultsLimitedToEndpoints(t *testing.T) {
	h := start(t, Options{Seed: 1, Faults: Faults{ServerErrorRate: 1, TypeChangeFromPage: 1, Endpoints: []string{"document", "user"}}})
	cases := []struct {
		path    string
		faulted bool
	}{
		{"/api/v1/document/", true},
		{"/api/v1/document/documents/", true}, // the alias is the same endpoint
		{"/api/v1/user/", true},
		{"/api/v1/resource/catalog/", false},
		{"/api/v1/tag/", false},
		{"/api/v1/resource/all_v2/custom_properties", false},
		{"/api/v1/no/such/path", false},
	}
	for _, c := range cases {
		r := h.get(t, c.path)
		if got := r.status >= 500; got != c.faulted {
			t.Errorf("GET %s: %d, faulted %v, want %v", c.path, r.status, got, c.faulted)
		}
	}
	// Every fault is limited, not only the server errors.
	var env envelope
	h.getJSON(t, "/api/v1/resource/catalog/", &env)
	if _, ok := env.Results[0]["total_usage"].(float64); !ok {
		t.Errorf("total_usage %#v changed type on an endpoint without faults", env.Results[0]["total_usage"])
	}
}

func TestSetFaults(t *testing.T) {
	h := start(t, Options{Seed: 1})
	steps := []struct {
		faults Faults
		status int
	}{
		{Faults{}, 200},
		{Faults{ServerErrorRate: 1, Endpoints: []string{"tag"}}, 0}, // 0: any 5xx
		{Faults{ServerErrorRate: 1, Endpoints: []string{"user"}}, 200},
		{Faults{}, 200},
	}
	for i, s := range steps {
		if i > 0 {
			h.sim.SetFaults(s.faults)
		}
		r := h.get(t, "/api/v1/tag/")
		if s.status == 0 && r.status < 500 || s.status != 0 && r.status != s.status {
			t.Errorf("step %d (%+v): %d", i, s.faults, r.status)
		}
	}
}

func TestParseFaults(t *testing.T) {
	valid := []struct {
		spec string
		want Faults
	}{
		{"", Faults{}},
		{"  ", Faults{}},
		{"5xx=0.05", Faults{ServerErrorRate: 0.05}},
		{"5xx=5%", Faults{ServerErrorRate: 0.05}},
		{"5xx=1,drop=0,malformed=100%", Faults{ServerErrorRate: 1, MalformedRate: 1}},
		{"drop=0.01", Faults{DropRate: 0.01}},
		{"latency=50ms", Faults{Latency: 50 * time.Millisecond}},
		{"latency=20ms+30ms", Faults{Latency: 20 * time.Millisecond, LatencyJitter: 30 * time.Millisecond}},
		{"loop=3", Faults{LoopAtPage: 3}},
		{"typechange=2", Faults{TypeChangeFromPage: 2}},
		{"typechange=2:votes_sum", Faults{TypeChangeFromPage: 2, TypeChangeField: "votes_sum"}},
		{"next-base=http://other.host:80", Faults{NextLinkBase: "http://other.host:80"}},
		{"next-base=https://other.host/", Faults{NextLinkBase: "https://other.host"}},
		{"endpoints=resource_catalog+document", Faults{Endpoints: []string{"resource_catalog", "document"}}},
		{" 5xx = 0.5 , , loop=1 ", Faults{ServerErrorRate: 0.5, LoopAtPage: 1}},
	}
	for _, c := range valid {
		got, err := ParseFaults(c.spec)
		if err != nil {
			t.Errorf("ParseFaults(%q): %v", c.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseFaults(%q) = %+v, want %+v", c.spec, got, c.want)
		}
	}

	invalid := []struct {
		spec    string
		mention []string // each in the error
	}{
		{"bogus=1", []string{`"bogus"`, "unknown"}},
		{"5xx", []string{`"5xx"`, "key=value"}},
		{"5xx=1.5", []string{"5xx=1.5", "between 0 and 1"}},
		{"drop=150%", []string{"drop=150%"}},
		{"malformed=-0.1", []string{"malformed=-0.1"}},
		{"5xx=lots", []string{"5xx=lots"}},
		{"latency=fast", []string{"latency=fast", "duration"}},
		{"latency=10ms+soon", []string{"latency=10ms+soon"}},
		{"loop=0", []string{"loop=0", "page"}},
		{"loop=x", []string{"loop=x"}},
		{"typechange=0:votes_sum", []string{"typechange=0", "page"}},
		{"next-base=other.host:80", []string{"next-base=other.host:80", "scheme"}},
		{"5xx=0.1,bogus=2", []string{`"bogus"`}},
		{"endpoints=resource_catalog+documents", []string{`"documents"`, "secoda-workbench endpoints"}},
	}
	for _, c := range invalid {
		got, err := ParseFaults(c.spec)
		if err == nil {
			t.Errorf("ParseFaults(%q) = %+v, want an error", c.spec, got)
			continue
		}
		if !reflect.DeepEqual(got, Faults{}) {
			t.Errorf("ParseFaults(%q) returned %+v with its error", c.spec, got)
		}
		for _, m := range c.mention {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("ParseFaults(%q): error %q does not mention %q", c.spec, err, m)
			}
		}
	}
}

package simulator

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

func TestPathsWithAndWithoutPrefixAndSlash(t *testing.T) {
	h := start(t, Options{Seed: 1})
	paths := []string{"/api/v1/resource/catalog/", "/api/v1/resource/catalog", "/resource/catalog/", "/resource/catalog"}
	var first map[string]json.RawMessage
	for _, p := range paths {
		r := h.get(t, p)
		var body map[string]json.RawMessage
		var env envelope
		if err := json.Unmarshal(r.body, &body); err != nil || r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %v", p, r.status, err)
		}
		if err := json.Unmarshal(r.body, &env); err != nil {
			t.Fatal(err)
		}
		// The next link is as the docs print it, whichever way the client wrote the
		// path; all else is the same.
		if env.Links.Next == nil || !strings.HasPrefix(*env.Links.Next, h.srv.URL+"/resource/catalog/?") {
			t.Errorf("%s: next link %v is not %s/resource/catalog/?...", p, env.Links.Next, h.srv.URL)
		}
		delete(body, "links")
		if first == nil {
			first = body
			continue
		}
		for k, v := range first {
			if !bytes.Equal(body[k], v) {
				t.Errorf("%s: %q differs from %s's", p, k, paths[0])
			}
		}
		if len(body) != len(first) {
			t.Errorf("%s: %d keys, %s had %d", p, len(body), paths[0], len(first))
		}
	}
}

func TestHealthcheckNeedsNoKey(t *testing.T) {
	h := start(t, Options{})
	for _, p := range []string{"/healthcheck", "/healthcheck/", "/api/v1/healthcheck", "/api/v1/healthcheck/"} {
		r := h.requestWithKey(t, http.MethodGet, p, "", nil)
		if r.status != http.StatusOK || string(r.body) != `{"status":"OK"}` {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	if got := h.sim.Stats().Requests; got != 0 {
		t.Errorf("healthchecks counted as %d API requests", got)
	}
}

func TestUnknownPathIsNotFound(t *testing.T) {
	h := start(t, Options{})
	for _, p := range []string{"/api/v1/nope", "/api/v2/resource/catalog", "/api/v1/resource/catalog/extra/deep", "/api/v1", "/", "/query/queries"} {
		r := h.get(t, p)
		if r.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, r.status)
			continue
		}
		if d := detail(t, r); d == "" {
			t.Errorf("%s: empty detail", p)
		}
	}
}

func TestAuth(t *testing.T) {
	keyA, keyB := newKey(t), newKey(t)
	h := start(t, Options{APIKeys: []string{keyA, keyB}})
	cases := []struct {
		name   string
		header string // the whole Authorization header; "" sends none
		status int
		detail string
	}{
		{"missing", "", 401, "Authentication credentials were not provided."},
		{"wrong key", "Bearer " + newKey(t), 401, "Invalid token."},
		{"right key, wrong scheme", "Token " + keyA, 401, "Invalid token."},
		{"scheme only", "Bearer", 401, "Invalid token."},
		{"first key", "Bearer " + keyA, 200, ""},
		{"second key", "Bearer " + keyB, 200, ""},
		{"scheme is case-insensitive", "bearer " + keyB, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, h.srv.URL+"/api/v1/user/", nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := h.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			if c.status == 200 {
				return
			}
			var body map[string]string
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if body["detail"] != c.detail || len(body) != 1 {
				t.Errorf("body %v, want detail %q", body, c.detail)
			}
		})
	}
	if got := h.sim.Stats().Unauthorized; got != 4 {
		t.Errorf("Stats().Unauthorized = %d, want 4", got)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	key := newKey(t)
	cases := []struct {
		name string
		opts Options
		want string // in the error
	}{
		{"no keys", Options{}, "API key"},
		{"empty key", Options{APIKeys: []string{""}}, "empty"},
		{"blank key among good ones", Options{APIKeys: []string{key, "  "}}, "empty"},
		{"unknown size", Options{APIKeys: []string{key}, Size: "huge"}, "huge"},
		{"unknown retry-after", Options{APIKeys: []string{key}, RetryAfter: "soon"}, "soon"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(c.opts)
			if err == nil {
				t.Fatalf("New accepted %+v", c.opts)
			}
			if s != nil {
				t.Error("New returned a server with its error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

// TestEveryEndpointIsServed holds the simulator to the one endpoint catalog: an
// endpoint added to secoda.Endpoints without a route fails here.
func TestEveryEndpointIsServed(t *testing.T) {
	h := start(t, Options{Seed: 3})
	var catalog envelope
	h.getJSON(t, "/api/v1/resource/catalog/", &catalog)
	catalogID := catalog.Results[0]["id"].(string)
	for _, e := range secoda.Endpoints {
		t.Run(e.Name, func(t *testing.T) {
			path := "/api/v1/" + strings.ReplaceAll(e.Path, "{id}", catalogID) + "/"
			r := h.get(t, path)
			if r.status != http.StatusOK {
				t.Fatalf("GET %s: %d %.200s", path, r.status, r.body)
			}
			switch {
			case e.Paginated:
				var env envelope
				if err := json.Unmarshal(r.body, &env); err != nil {
					t.Fatal(err)
				}
				if env.Count == 0 || len(env.Results) != min(env.Count, DefaultPageSize) {
					t.Errorf("count %d with %d results on page 1", env.Count, len(env.Results))
				}
			case e.Selector == "" && e.Parent == "": // a bare array
				var arr []map[string]any
				if err := json.Unmarshal(r.body, &arr); err != nil {
					t.Fatalf("not a JSON array: %v: %.100s", err, r.body)
				}
				if len(arr) == 0 {
					t.Error("empty array")
				}
			default: // one object per parent id
				var obj map[string]any
				if err := json.Unmarshal(r.body, &obj); err != nil {
					t.Fatal(err)
				}
				if obj[e.PrimaryKey] != catalogID {
					t.Errorf("%s = %v, want %s", e.PrimaryKey, obj[e.PrimaryKey], catalogID)
				}
			}
		})
	}
}

func TestCustomPropertiesAreABareArray(t *testing.T) {
	h := start(t, Options{Seed: 1})
	var arr []map[string]any
	h.getJSON(t, "/api/v1/resource/all_v2/custom_properties", &arr)
	if want := h.sim.Workspace().count[kCustomProperty]; len(arr) != want {
		t.Fatalf("%d custom properties, the workspace has %d", len(arr), want)
	}
	for _, p := range arr {
		if _, ok := p["name"].(string); !ok {
			t.Errorf("property without a name: %v", p)
		}
	}

}

// TestResourceDetailShowsParentID: a detail carries parent, the parent's id (a UUID
// string, "parent: Optional[UUID]" in a client generated from Secoda's schema), where
// the list carries parent_id with the same value.
func TestResourceDetailShowsParentID(t *testing.T) {
	h := start(t, Options{Seed: 1})
	ws := h.sim.Workspace()
	cases := []struct {
		name       string
		idx        int
		parentKind string // "" for a null parent
	}{
		{"column", ws.index(kColumn, 7), "table"},
		{"table", ws.index(kTable, 3), "schema"},
		{"schema", ws.index(kSchema, 1), "database"},
		{"chart", ws.index(kChart, 2), "dashboard"},
		{"database hangs off an integration, not a resource", ws.index(kDatabase, 0), ""},
		{"dashboard hangs off an integration too", ws.index(kDashboard, 1), ""},
		{"glossary", ws.index(kGlossary, 0), ""},
		{"metric", ws.index(kMetric, 0), ""},
		{"first document has no parent document", ws.index(kDocument, 0), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := ws.ID(c.idx)
			var obj map[string]any
			h.getJSON(t, "/api/v1/resource/all/"+id, &obj)
			if obj["id"] != id {
				t.Fatalf("id %v, want %s", obj["id"], id)
			}
			if _, ok := obj["parent_id"]; ok {
				t.Error("detail carries parent_id; it should carry parent")
			}
			parent, ok := obj["parent"]
			if !ok {
				t.Fatal("detail has no parent key")
			}
			if c.parentKind == "" {
				if parent != nil {
					t.Errorf("parent %v, want null", parent)
				}
				return
			}
			p, ok := parent.(string)
			if !ok || !uuidV4.MatchString(p) {
				t.Fatalf("parent %#v is not a UUID string", parent)
			}
			var of map[string]any
			h.getJSON(t, "/api/v1/resource/all/"+p, &of)
			if of["entity_type"] != c.parentKind {
				t.Errorf("parent %s is a %v, want a %s", p, of["entity_type"], c.parentKind)
			}
			// The list view of the same entity names the same parent.
			var listed map[string]any
			h.getJSON(t, "/api/v1/resource/catalog/"+id, &listed)
			if listed["parent_id"] != p {
				t.Errorf("list parent_id %v, detail parent %v", listed["parent_id"], p)
			}
		})
	}
}

// TestDocumentDetailShowsParentID: a document inside another names it by id in the
// detail's parent, as catalog resources do, and in the list's parent_id.
func TestDocumentDetailShowsParentID(t *testing.T) {
	h := start(t, Options{Seed: 1})
	ws := h.sim.Workspace()
	found := 0
	for ord := range ws.count[kDocument] {
		id := ws.ID(ws.index(kDocument, ord))
		var listed, detail map[string]any
		h.getJSON(t, "/api/v1/document/"+id, &listed)
		if listed["parent_id"] == nil {
			continue
		}
		found++
		h.getJSON(t, "/api/v1/resource/all/"+id, &detail)
		if detail["parent"] != listed["parent_id"] {
			t.Fatalf("document %s: detail parent %v, list parent_id %v", id, detail["parent"], listed["parent_id"])
		}
	}
	if found == 0 {
		t.Fatal("no document of the small workspace has a parent document")
	}
}

func TestDocumentAliasAndQueryDetail(t *testing.T) {
	h := start(t, Options{Seed: 1, PageSize: 10}) // small pages, so that page 2 exists
	for _, q := range []string{"", "?page=2", "?page=3"} {
		var doc, alias envelope
		h.getJSON(t, "/api/v1/document/"+q, &doc)
		h.getJSON(t, "/api/v1/document/documents/"+q, &alias)
		if doc.Count == 0 || doc.Count != alias.Count || !slices.Equal(ids(doc.Results), ids(alias.Results)) {
			t.Errorf("document%s and document/documents%s differ: %d vs %d records", q, q, doc.Count, alias.Count)
		}
	}

	ws := h.sim.Workspace()
	queryID := ws.ID(ws.index(kQuery, 2))
	var q map[string]any
	h.getJSON(t, "/api/v1/query/queries/"+queryID, &q)
	if q["id"] != queryID || q["entity_type"] != "query" || !strings.HasSuffix(q["sql"].(string), ";") {
		t.Errorf("query detail %v", q)
	}
	// query/queries is for queries only.
	if r := h.get(t, "/api/v1/query/queries/"+ws.ID(ws.index(kTable, 0))); r.status != http.StatusNotFound {
		t.Errorf("a table id under query/queries: status %d, want 404", r.status)
	}
}

func TestWritesToAListAreRefused(t *testing.T) {
	h := start(t, Options{})
	r := h.request(t, http.MethodPost, "/api/v1/resource/catalog/", strings.NewReader(`{"title":"x"}`))
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET" {
		t.Errorf("POST to a list: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	detail(t, r)
}

func TestLoggerWritesOneLinePerRequestWithoutTheKey(t *testing.T) {
	key := newKey(t)
	var buf bytes.Buffer
	sim, err := New(Options{APIKeys: []string{key}, Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	requests := []struct {
		path, key string
		status    int
	}{
		{"/api/v1/tag/?page=1", key, 200},
		{"/api/v1/tag/", key + "x", 401}, // a near miss must not be logged either
		{"/api/v1/nope", key, 404},
		{"/healthcheck", "", 200},
	}
	// ServeHTTP directly: the line is written before it returns, so the buffer is
	// complete when read.
	for _, r := range requests {
		req := httptest.NewRequest(http.MethodGet, r.path, nil)
		if r.key != "" {
			req.Header.Set("Authorization", "Bearer "+r.key)
		}
		sim.ServeHTTP(httptest.NewRecorder(), req)
	}
	if strings.Contains(buf.String(), key) {
		t.Fatal("the log holds the API key")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(requests) {
		t.Fatalf("%d log lines for %d requests:\n%s", len(lines), len(requests), buf.String())
	}
	for i, line := range lines {
		var entry struct {
			Method, Path string
			Status       int
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatal(err)
		}
		want, _, _ := strings.Cut(requests[i].path, "?")
		if entry.Method != http.MethodGet || entry.Path != want || entry.Status != requests[i].status {
			t.Errorf("line %d: %s, want GET %s %d", i, line, want, requests[i].status)
		}
	}
}

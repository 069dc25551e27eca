package secoda

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseEnvelope(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		selector   string
		records    int
		hasNext    bool
		next       string
		page       int
		nextPage   int
		count      int
		totalPages int
	}{
		{name: "documented envelope",
			body: `{"links": {"next": "https://api.secoda.co/api/v1/table/tables/?page=2", "previous": null},
			"meta": {"page": 1, "previous_page": null, "next_page": 2}, "count": 315, "total_pages": 7, "results": [{"id": "a"}, {"id": "b"}]}`,
			records: 2, hasNext: true, next: "https://api.secoda.co/api/v1/table/tables/?page=2", page: 1, nextPage: 2, count: 315, totalPages: 7},
		{name: "last page null", body: `{"links": {"next": null}, "count": 2, "total_pages": 1, "results": [{}, {}]}`,
			records: 2, hasNext: true, count: 2, totalPages: 1},
		{name: "None string as in the docs", body: `{"links": {"next": "None"}, "results": [{}]}`,
			records: 1, hasNext: true, count: -1, totalPages: -1},
		{name: "empty string", body: `{"links": {"next": ""}, "results": []}`,
			records: 0, hasNext: true, count: -1, totalPages: -1},
		{name: "top-level next", body: `{"next": "/api/v1/x/?page=3", "results": [{}]}`,
			records: 1, hasNext: true, next: "/api/v1/x/?page=3", count: -1, totalPages: -1},
		{name: "bare array", body: ` [{"id": 1}, {"id": 2}, {"id": 3}] `, selector: "results",
			records: 3, count: -1, totalPages: -1},
		{name: "no link, pages only", body: `{"count": "120", "total_pages": "3", "results": [{}]}`,
			records: 1, count: 120, totalPages: 3},
		{name: "no link, meta next_page", body: `{"meta": {"page": 4, "next_page": 5}, "results": [{}]}`,
			records: 1, page: 4, nextPage: 5, count: -1, totalPages: -1},
		{name: "nested selector", body: `{"data": {"items": [{}, {}]}, "links": null}`, selector: "data.items",
			records: 2, count: -1, totalPages: -1},
		{name: "null results", body: `{"results": null, "links": {"next": null}}`,
			records: 0, hasNext: true, count: -1, totalPages: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := tt.selector
			if sel == "" {
				sel = "results"
			}
			env, err := ParseEnvelope([]byte(tt.body), sel)
			if err != nil {
				t.Fatal(err)
			}
			if len(env.Records) != tt.records || env.HasNextLink != tt.hasNext || env.Next != tt.next ||
				env.Page != tt.page || env.NextPage != tt.nextPage || env.Count != tt.count || env.TotalPages != tt.totalPages {
				t.Fatalf("got records=%d hasNext=%v next=%q page=%d nextPage=%d count=%d totalPages=%d",
					len(env.Records), env.HasNextLink, env.Next, env.Page, env.NextPage, env.Count, env.TotalPages)
			}
		})
	}
}

func TestParseEnvelopeErrors(t *testing.T) {
	tests := []struct {
		name, body  string
		malformed   bool // retried as a cut-short page
		wantMessage string
	}{
		{"truncated page", `{"links": {"next": null}, "results": [{"id": "a"`, true, "not valid JSON"},
		{"html", `<html><body>Login</body></html>`, true, "not valid JSON"},
		{"no results", `{"detail": "ok", "items": []}`, false, `no "results" (it has detail, items)`},
		{"results not a list", `{"results": {"id": 1}}`, false, "not a list of records"},
		{"a number", `42`, false, "expected a JSON object or array"},
		{"next not a string", `{"links": {"next": 2}, "results": []}`, false, "next link is 2"},
		{"null", `null`, false, "got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEnvelope([]byte(tt.body), "results")
			if err == nil {
				t.Fatal("no error")
			}
			var se *shapeError
			if got := errors.Is(err, errMalformed); got != tt.malformed {
				t.Fatalf("malformed = %v, want %v (%v)", got, tt.malformed, err)
			}
			if !tt.malformed && !errors.As(err, &se) {
				t.Fatalf("want a shape error, got %T %v", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Fatalf("error %q does not say %q", err, tt.wantMessage)
			}
		})
	}
}

// FuzzParseEnvelope: whatever a server sends, parsing neither panics nor loses records
// that a plain decode of the same document finds.
func FuzzParseEnvelope(f *testing.F) {
	for _, seed := range []string{
		`{"links": {"next": "https://x/?page=2", "previous": null}, "meta": {"page": 1}, "count": 3, "total_pages": 2, "results": [{"a": 1}]}`,
		`[{"id": 1}]`, `{"next": "None", "results": []}`, `{"results": null}`, `{"count": "7", "results": [1, "x", null]}`,
		`{"links": {"next": 5}}`, `{`, ``, `null`, `"results"`,
	} {
		f.Add([]byte(seed), "results")
	}
	f.Add([]byte(`{"data": {"items": [{}]}}`), "data.items")
	f.Fuzz(func(t *testing.T, body []byte, selector string) {
		if selector == "" {
			selector = "results"
		}
		env, err := ParseEnvelope(body, selector)
		if err != nil {
			return
		}
		for _, r := range env.Records {
			if !json.Valid(r) {
				t.Fatalf("record %q is not valid JSON", r)
			}
		}
		if env.Next != "" && !env.HasNextLink {
			t.Fatalf("a next link %q without HasNextLink", env.Next)
		}
		var arr []json.RawMessage
		if json.Unmarshal(body, &arr) == nil && len(arr) != len(env.Records) {
			t.Fatalf("bare array of %d records parsed as %d", len(arr), len(env.Records))
		}
	})
}

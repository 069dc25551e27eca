package secoda

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"
)

// DefaultPageCap stops a runaway pagination: two million records at Secoda's 50 a page.
const DefaultPageCap = 40_000

// PageQuery says which list to read.
type PageQuery struct {
	Path   string     // endpoint path relative to the base URL, e.g. "resource/catalog"
	Params url.Values // query parameters (filter, sort, teams, ...); page is managed here
	// Selector is the dotted path of the records in an envelope; "" means "results".
	// A bare JSON array is taken as the records whatever the selector.
	Selector string
	// PageCap is a safety net: more pages than this is an error (ErrPageCap).
	// 0 means DefaultPageCap. To read only the first pages, stop ranging.
	PageCap int
}

// Page is one page of a list.
type Page struct {
	Number  int               // 1 for the first page this reading read
	Path    string            // the page's URL path and query, scrubbed of the key: for messages
	Records []json.RawMessage // each record's JSON, in the server's order
	// Count and TotalPages are what the server reported, -1 when it did not.
	Count      int
	TotalPages int
	// Next is the absolute address of the next page, "" on the last one.
	Next string
}

// PageURL is the address of the first page of a list at path with params.
func (c *Client) PageURL(path string, params url.Values) string {
	return c.endpointURL(path, params).String()
}

// FetchPage reads the page of a list at pageURL (a PageURL, or a page's Next): its
// records under selector ("" means "results"; a bare array is the records whatever the
// selector), what it says of the whole list, and where the next page is. It follows
// links.next (or a top-level next) as given, takes null, "None" and "" as the end, and
// falls back to ?page=N+1 while total_pages or meta.next_page say there is more; a next
// link to another scheme or host is ErrForeignHost. number is the page's place in the
// reading, for messages.
func (c *Client) FetchPage(ctx context.Context, pageURL, selector string, number int) (*Page, error) {
	if selector == "" {
		selector = "results"
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Method: "GET", Path: c.scrub(pageURL), Host: c.base.Host,
			Detail: "not a URL: " + err.Error(), Hint: "a page address from an earlier run is damaged; run again with --restart"}
	}
	var env Envelope
	err = c.call(ctx, "GET", u, nil, func(body []byte) error {
		var perr error
		env, perr = ParseEnvelope(body, selector)
		return perr
	})
	if err != nil {
		return nil, err
	}
	page := &Page{Number: number, Path: c.scrub(u.RequestURI()), Records: env.Records, Count: env.Count, TotalPages: env.TotalPages}
	next, err := c.nextPageURL(u, env)
	if err != nil {
		return nil, err
	}
	if next != nil {
		page.Next = next.String()
	}
	return page, nil
}

// PageKey makes two spellings of one page's address equal (query parameters in any
// order, a missing page meaning page 1, a trailing slash or the /api/v1 prefix or not),
// to tell a next link that goes round in a circle. It is a digest: a page of a query
// filtered by many ids has an address of kilobytes, and a reading keeps a key a page.
func PageKey(pageURL string) string {
	key := pageURL
	if u, err := url.Parse(pageURL); err == nil {
		key = canonicalPageURL(u)
	}
	sum := sha256.Sum256([]byte(key))
	return string(sum[:16])
}

// Pages reads a list page by page, fetching a page only when the previous one has been
// handed over, so a whole endpoint is never held in memory. It follows pages as
// FetchPage does, and stops with ErrPaginationLoop on a next URL already followed and
// ErrPageCap past the cap. Break out of the loop to stop early.
func (c *Client) Pages(ctx context.Context, q PageQuery) iter.Seq2[*Page, error] {
	return func(yield func(*Page, error) bool) {
		capPages := q.PageCap
		if capPages <= 0 {
			capPages = DefaultPageCap
		}
		next := c.PageURL(q.Path, q.Params)
		seen := map[string]bool{PageKey(next): true}
		for n := 1; ; n++ {
			page, err := c.FetchPage(ctx, next, q.Selector, n)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) {
				return
			}
			if page.Next == "" {
				return
			}
			if err := c.CheckNext(page, seen, capPages); err != nil {
				yield(nil, err)
				return
			}
			next = page.Next
		}
	}
}

// CheckNext stops a reading that goes round in a circle (a next link already in seen,
// which it then records) or past capPages pages.
func (c *Client) CheckNext(page *Page, seen map[string]bool, capPages int) error {
	key := PageKey(page.Next)
	if seen[key] {
		return &Error{Kind: ErrPaginationLoop, Method: "GET", Path: page.Path, Host: c.base.Host,
			Detail: fmt.Sprintf("page %d links to %s, which was already read", page.Number, c.scrub(pathOf(page.Next))),
			Hint:   "the server's next links go round in a circle; the pages read so far are complete up to here, report the endpoint to Secoda"}
	}
	if capPages <= 0 {
		capPages = DefaultPageCap
	}
	if page.Number >= capPages {
		return &Error{Kind: ErrPageCap, Method: "GET", Path: page.Path, Host: c.base.Host,
			Detail: fmt.Sprintf("stopped after %d pages and there are more (count %d)", page.Number, page.Count),
			Hint:   "raise the resource's page_cap in secoda_pipeline.toml, or narrow it with a filter"}
	}
	seen[key] = true
	return nil
}

func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.RequestURI()
	}
	return raw
}

// nextPageURL resolves where the next page is, or nil at the end.
func (c *Client) nextPageURL(cur *url.URL, env Envelope) (*url.URL, error) {
	if env.HasNextLink {
		if env.Next == "" {
			return nil, nil
		}
		ref, err := url.Parse(env.Next)
		if err != nil {
			return nil, &Error{Kind: ErrBadResponse, Method: "GET", Path: c.scrub(cur.RequestURI()), Host: c.base.Host,
				Detail: fmt.Sprintf("next link %q is not a URL", truncate(c.scrub(env.Next), 200)), Hint: hintFor(ErrBadResponse, 0, "")}
		}
		u := cur.ResolveReference(ref)
		if !sameOrigin(u, c.base) {
			return nil, c.foreignHost("GET", u)
		}
		return u, nil
	}
	// No link at all: page numbers, when the envelope tells how many there are.
	page := env.Page
	if page <= 0 {
		page, _ = strconv.Atoi(cur.Query().Get("page"))
		if page <= 0 {
			page = 1
		}
	}
	switch {
	case env.NextPage > 0:
		return withPage(cur, env.NextPage), nil
	case env.TotalPages > 0 && page < env.TotalPages && len(env.Records) > 0:
		return withPage(cur, page+1), nil
	}
	return nil, nil
}

func withPage(u *url.URL, page int) *url.URL {
	v := u.Query()
	v.Set("page", strconv.Itoa(page))
	out := *u
	out.RawQuery = v.Encode()
	return &out
}

// canonicalPageURL makes two spellings of one page equal: query parameters sorted, a
// missing page meaning page 1, trailing slash and the /api/v1 prefix ignored.
func canonicalPageURL(u *url.URL) string {
	v := u.Query()
	if v.Get("page") == "" {
		v.Set("page", "1")
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(strings.ToLower(u.Host))
	// The prefix is optional on api.* hosts, and next links print it or not.
	path := strings.TrimRight(u.Path, "/")
	if p, ok := strings.CutPrefix(path, "/api/v1/"); ok {
		path = "/" + p
	}
	b.WriteString(path)
	for _, k := range keys {
		vals := append([]string(nil), v[k]...)
		sort.Strings(vals)
		for _, x := range vals {
			b.WriteString("&" + url.QueryEscape(k) + "=" + url.QueryEscape(x))
		}
	}
	return b.String()
}

// Envelope is a list answer taken apart.
type Envelope struct {
	Records []json.RawMessage
	// HasNextLink is true when the answer carries links.next or a top-level next, even
	// null; Next is then the link, or "" at the end.
	HasNextLink bool
	Next        string
	Page        int // meta.page, 0 when absent
	NextPage    int // meta.next_page, 0 when absent or null
	Count       int // -1 when absent
	TotalPages  int // -1 when absent
}

// ParseEnvelope reads one list answer: an object with the records under selector (a
// dotted path, "results" for Secoda) and links.next or next, or a bare array of records.
// The error for a body that does not parse wraps errMalformed; one that parses but has
// the wrong shape is a *shapeError. Records share body's bytes.
func ParseEnvelope(body []byte, selector string) (Envelope, error) {
	env := Envelope{Count: -1, TotalPages: -1}
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		return env, records(body, &env)
	}
	if len(body) == 0 || body[0] != '{' {
		if jsonv.Valid(body) {
			return env, &shapeError{fmt.Sprintf("expected a JSON object or array, got %s", snippet(body))}
		}
		return env, fmt.Errorf("%w: %s", errMalformed, snippetOrEmpty(body))
	}
	top := map[string][]byte{}
	if err := jsonv.ObjectEach(body, func(k string, v []byte) error { top[k] = v; return nil }); err != nil {
		return env, fmt.Errorf("%w: %v", errMalformed, err)
	}
	raw, err := selectPath(top, selector)
	if err != nil {
		return env, err
	}
	if !isNull(raw) {
		if len(raw) == 0 || raw[0] != '[' {
			return env, &shapeError{fmt.Sprintf("%q is not a list of records", selector)}
		}
		if err := records(raw, &env); err != nil {
			return env, err
		}
	}
	if links, ok := top["links"]; ok && !isNull(links) {
		var l map[string]json.RawMessage
		if json.Unmarshal(links, &l) == nil {
			if n, ok := l["next"]; ok {
				env.HasNextLink = true
				if env.Next, err = linkValue(n); err != nil {
					return env, err
				}
			}
		}
	}
	if n, ok := top["next"]; ok && !env.HasNextLink {
		env.HasNextLink = true
		if env.Next, err = linkValue(n); err != nil {
			return env, err
		}
	}
	if m, ok := top["meta"]; ok {
		var meta map[string]json.RawMessage
		if json.Unmarshal(m, &meta) == nil {
			env.Page = looseInt(meta["page"], 0)
			env.NextPage = looseInt(meta["next_page"], 0)
			// Newer endpoints (teams, lineage) repeat these inside meta.
			env.Count = looseInt(meta["count"], -1)
			env.TotalPages = looseInt(meta["total_pages"], -1)
		}
	}
	if n := looseInt(top["count"], -1); n >= 0 || env.Count < 0 {
		env.Count = n
	}
	if n := looseInt(top["total_pages"], -1); n >= 0 || env.TotalPages < 0 {
		env.TotalPages = n
	}
	return env, nil
}

// records cuts an array into its elements' raw bytes, validating as it goes.
func records(arr []byte, env *Envelope) error {
	env.Records = make([]json.RawMessage, 0, 64)
	if err := jsonv.ArrayEach(arr, func(e []byte) error {
		env.Records = append(env.Records, e)
		return nil
	}); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	return nil
}

func snippetOrEmpty(b []byte) string {
	if len(b) == 0 {
		return "an empty answer"
	}
	return snippet(b)
}

func selectPath(top map[string][]byte, selector string) ([]byte, error) {
	parts := strings.Split(selector, ".")
	cur := top
	for i, p := range parts {
		raw, ok := cur[p]
		if !ok {
			keys := make([]string, 0, len(cur))
			for k := range cur {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return nil, &shapeError{fmt.Sprintf("the answer has no %q (it has %s)", strings.Join(parts[:i+1], "."), strings.Join(keys, ", "))}
		}
		if i == len(parts)-1 {
			return raw, nil
		}
		next := map[string][]byte{}
		if err := jsonv.ObjectEach(raw, func(k string, v []byte) error { next[k] = v; return nil }); err != nil {
			return nil, &shapeError{fmt.Sprintf("%q is not an object", strings.Join(parts[:i+1], "."))}
		}
		cur = next
	}
	return nil, nil
}

// linkValue reads a next link: a string, or null, "None" or "" for none.
func linkValue(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &shapeError{fmt.Sprintf("next link is %s, not a string", snippet(raw))}
	}
	s = strings.TrimSpace(s)
	if s == "None" || s == "null" {
		return "", nil
	}
	return s, nil
}

// looseInt reads a number that may come as a number, a numeric string, or null.
func looseInt(raw json.RawMessage, missing int) int {
	if len(raw) == 0 || isNull(raw) {
		return missing
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return int(f)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			return n
		}
	}
	return missing
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

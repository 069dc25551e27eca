package secoda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// TestKeyNeverLeaks drives the client against a hostile server that echoes the key in
// every place it can (error bodies, HTML, next links, hosts, redirects) and checks that
// no error message (down the whole chain), log line, retry event or formatting of the
// client holds it, plain or URL-escaped.
func TestKeyNeverLeaks(t *testing.T) {
	for _, key := range []string{newKey(t), newKey(t) + "+/=&?"} {
		esc := url.QueryEscape(key)
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v1"), "/")
			js := func(status int, body string) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				fmt.Fprint(w, body)
			}
			q, _ := json.Marshal(key)
			switch p {
			case "echo401":
				js(401, `{"detail": "Invalid token `+string(q[1:len(q)-1])+`"}`)
			case "echo403":
				js(403, `{"detail": "Bearer `+string(q[1:len(q)-1])+` may not"}`)
			case "echo400":
				js(400, `{`+string(q)+`: ["bad"]}`)
			case "echo500":
				w.WriteHeader(500)
				fmt.Fprint(w, "boom "+key)
			case "echo429":
				w.Header().Set("Retry-After", "99999")
				js(429, `{"detail": "slow down `+string(q[1:len(q)-1])+`"}`)
			case "html":
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprint(w, "<p>"+key+"</p>")
			case "malformed":
				js(200, `{"results": [{"id": `+string(q))
			case "nextkey":
				js(200, `{"results": [{}], "links": {"next": "`+srv.URL+`/api/v1/nextkey/?token=`+esc+`"}}`)
			case "foreign":
				js(200, `{"results": [{}], "links": {"next": "http://`+strings.Trim(esc, "+/=&?%")+`.example.com/x?k=`+esc+`"}}`)
			case "badnext":
				js(200, `{"results": [{}], "links": {"next": ":%zz`+esc+`"}}`)
			case "redirect":
				http.Redirect(w, r, "http://other.example.com/?k="+esc, http.StatusFound)
			default:
				js(404, `{"detail": "no `+string(q[1:len(q)-1])+`"}`)
			}
		}))
		var logs bytes.Buffer
		var events []secoda.Event
		c, err := secoda.New(secoda.Config{
			BaseURL: srv.URL + "/api/v1", APIKey: key, RequestsPerMinute: -1,
			BaseBackoff: time.Millisecond, MaxAttempts: 2, MaxRetryDelay: time.Second,
			Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			OnEvent: func(e secoda.Event) { events = append(events, e) },
		})
		if err != nil {
			t.Fatal(err)
		}
		var errs []error
		for _, p := range []string{"echo401", "echo403", "echo400", "echo500", "echo429", "html", "malformed", "nextkey", "foreign", "badnext", "redirect", "missing"} {
			for _, err := range c.Pages(context.Background(), secoda.PageQuery{Path: p}) {
				if err != nil {
					errs = append(errs, err)
				}
			}
			if _, err := c.Get(context.Background(), p, url.Values{"q": {"x"}}); err != nil {
				errs = append(errs, err)
			}
		}
		srv.Close()
		if len(errs) < 12 {
			t.Fatalf("only %d errors: the hostile server did not exercise every path", len(errs))
		}
		var texts []string
		for _, err := range errs {
			texts = append(texts, chainMessages(err)...)
			texts = append(texts, fmt.Sprintf("%+v %#v", err, err))
			var e *secoda.Error
			if errors.As(err, &e) {
				texts = append(texts, e.Path, e.Host, e.Detail, e.Hint)
			}
		}
		for _, e := range events {
			texts = append(texts, e.Path, e.Detail, fmt.Sprintf("%+v", e))
		}
		texts = append(texts, logs.String(), fmt.Sprintf("%v %+v %#v", c, c, c), fmt.Sprintf("%+v", c.Stats()))
		for _, s := range texts {
			if strings.Contains(s, key) || strings.Contains(s, esc) {
				t.Fatalf("the key leaked into: %s", s)
			}
		}
		if !strings.Contains(strings.Join(texts, "\n"), "[REDACTED]") {
			t.Fatal("nothing was redacted: the hostile server's echoes never reached an error")
		}
	}
}

// chainMessages is every message down an error's Unwrap tree.
func chainMessages(err error) []string {
	if err == nil {
		return nil
	}
	out := []string{err.Error()}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, chainMessages(u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, chainMessages(e)...)
		}
	}
	return out
}

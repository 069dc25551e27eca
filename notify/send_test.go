package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook on loopback answering each request with the next of statuses
// (the last one repeated), and keeping what it was sent.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	header   http.Header
	hang     time.Duration
	bodies   []string
	srv      *httptest.Server
	token    string // the URL's secret part
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	b := make([]byte, 12)
	rand.Read(b)
	r := &receiver{statuses: statuses, token: hex.EncodeToString(b), header: http.Header{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(body))
		status := r.statuses[min(len(r.bodies), len(r.statuses))-1]
		hang := r.hang
		for k, v := range r.header {
			w.Header()[k] = v
		}
		r.mu.Unlock()
		if req.URL.Path != "/hooks/"+r.token || req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "wrong request", http.StatusTeapot)
			return
		}
		if hang > 0 {
			select {
			case <-time.After(hang):
			case <-req.Context().Done():
				return
			}
		}
		w.WriteHeader(status)
		io.WriteString(w, "answer "+http.StatusText(status))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/hooks/" + r.token }

func (r *receiver) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

func failure() *Message {
	return &Message{Event: OnFailure, Pipeline: "secoda_pipeline", Outcome: "failed", RunID: "1764650000.123456", Dataset: "secoda_data",
		Destination: "postgres:postgres://loader@db:5432/analytics", StartedAt: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC), Seconds: 3.2,
		Version: "v1.2.3", Step: "extract", Kind: "key_rejected", Error: "the API key was rejected (HTTP 401)\nsecond line",
		Next: "check the key: `secoda-workbench secrets status`"}
}

func config(format string, retries int) *Config {
	return &Config{Format: format, On: map[string]bool{OnFailure: true}, Timeout: 2 * time.Second, Retries: retries}
}

var fast = &Sender{Backoff: 5 * time.Millisecond}

func TestTheSlackPayloadSaysWhatFailedAndWhatToDo(t *testing.T) {
	r := newReceiver(t, 200)
	res := fast.Send(context.Background(), config(FormatSlack, 3), r.url(), failure())
	if !res.Sent || res.Attempts != 1 || res.Status != 200 || res.Error != "" || res.Event != OnFailure {
		t.Fatalf("%+v", res)
	}
	bodies := r.sent()
	if len(bodies) != 1 {
		t.Fatalf("%d requests", len(bodies))
	}
	var slack map[string]any
	if err := json.Unmarshal([]byte(bodies[0]), &slack); err != nil || len(slack) != 1 {
		t.Fatalf("a Slack webhook takes {\"text\": ...}: %s", bodies[0])
	}
	text, _ := slack["text"].(string)
	for _, want := range []string{"pipeline secoda_pipeline failed at extract: the API key was rejected (HTTP 401)", "Next: check the key",
		"Run 1764650000.123456", "`secoda-workbench trace 1764650000.123456`"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "second line") {
		t.Errorf("the text carries the error's second line:\n%s", text)
	}
}

func TestTheJSONPayloadCarriesTheOutcome(t *testing.T) {
	r := newReceiver(t, 204)
	if res := fast.Send(context.Background(), config(FormatJSON, 0), r.url(), failure()); !res.Sent || res.Status != 204 {
		t.Fatalf("%+v", res)
	}
	var got struct {
		Message
		Text string `json:"text"`
	}
	if err := json.Unmarshal([]byte(r.sent()[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := failure()
	if got.Pipeline != want.Pipeline || got.Event != OnFailure || got.Outcome != "failed" || got.Step != "extract" || got.Kind != "key_rejected" ||
		got.Next != want.Next || got.RunID != want.RunID || !got.StartedAt.Equal(want.StartedAt) || got.Text != want.Text() {
		t.Fatalf("%+v", got)
	}
}

func TestRetriesBackOffAndStop(t *testing.T) {
	t.Run("5xx then success", func(t *testing.T) {
		r := newReceiver(t, 500, 503, 200)
		res := fast.Send(context.Background(), config(FormatSlack, 3), r.url(), failure())
		if !res.Sent || res.Attempts != 3 || len(r.sent()) != 3 {
			t.Fatalf("%+v, %d requests", res, len(r.sent()))
		}
	})
	t.Run("429 waits what Retry-After asks", func(t *testing.T) {
		r := newReceiver(t, 429, 200)
		r.header.Set("Retry-After", "1")
		start := time.Now()
		res := fast.Send(context.Background(), config(FormatSlack, 1), r.url(), failure())
		if !res.Sent || res.Attempts != 2 || time.Since(start) < time.Second {
			t.Fatalf("%+v after %s", res, time.Since(start))
		}
	})
	t.Run("a Retry-After past MaxWait is cut to it", func(t *testing.T) {
		r := newReceiver(t, 429, 200)
		r.header.Set("Retry-After", "3600")
		s := &Sender{Backoff: time.Millisecond, MaxWait: 20 * time.Millisecond}
		if res := s.Send(context.Background(), config(FormatSlack, 1), r.url(), failure()); !res.Sent || res.Seconds > 5 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("retries run out", func(t *testing.T) {
		r := newReceiver(t, 502)
		res := fast.Send(context.Background(), config(FormatSlack, 2), r.url(), failure())
		if res.Sent || res.Attempts != 3 || len(r.sent()) != 3 || res.Status != 502 || !strings.Contains(res.Error, "answered 502 (answer Bad Gateway)") {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("a 4xx is not retried", func(t *testing.T) {
		r := newReceiver(t, 404)
		res := fast.Send(context.Background(), config(FormatSlack, 3), r.url(), failure())
		if res.Sent || res.Attempts != 1 || !strings.Contains(res.Error, "check its URL") {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("a redirect is not followed", func(t *testing.T) {
		r := newReceiver(t, 200)
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			http.Redirect(w, req, r.url(), http.StatusTemporaryRedirect)
		}))
		t.Cleanup(redirect.Close)
		res := fast.Send(context.Background(), config(FormatSlack, 3), redirect.URL+"/x", failure())
		if res.Sent || res.Attempts != 1 || len(r.sent()) != 0 || !strings.Contains(res.Error, "redirect") {
			t.Fatalf("%+v, %d sent on", res, len(r.sent()))
		}
	})
}

func TestEachAttemptIsBoundedInTime(t *testing.T) {
	r := newReceiver(t, 200)
	r.hang = time.Minute
	c := config(FormatSlack, 1)
	c.Timeout = 100 * time.Millisecond
	start := time.Now()
	res := fast.Send(context.Background(), c, r.url(), failure())
	if res.Sent || res.Attempts != 2 || !strings.Contains(res.Error, "did not answer within 100ms") || time.Since(start) > 10*time.Second {
		t.Fatalf("%+v after %s", res, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	c.Timeout, c.Retries = 10*time.Second, 5
	start = time.Now()
	if res := fast.Send(ctx, c, r.url(), failure()); res.Sent || res.Attempts != 1 || time.Since(start) > 5*time.Second {
		t.Fatalf("a cancelled send: %+v after %s", res, time.Since(start))
	}
}

// TestTheURLIsNeverRepeated: the webhook's URL is a secret; no error about it says it.
func TestTheURLIsNeverRepeated(t *testing.T) {
	r := newReceiver(t, 200)
	closed := r.url()
	r.srv.Close() // connection refused, whose net/http error names the URL
	for _, u := range []string{closed, "http://192.0.2.1/hooks/" + r.token, "ftp://example.com/" + r.token, "https://user:" + r.token + "@example.com/x",
		"https://exa mple.com/" + r.token} {
		res := fast.Send(context.Background(), config(FormatSlack, 1), u, failure())
		if res.Sent || res.Error == "" || strings.Contains(res.Error, r.token) {
			t.Errorf("%s: %+v", u, res)
		}
	}
	if res := fast.Send(context.Background(), config(FormatSlack, 1), "", failure()); res.Sent || !strings.Contains(res.Error, "SECODA_NOTIFY_URL") || res.Attempts != 0 {
		t.Errorf("no URL: %+v", res)
	}
}

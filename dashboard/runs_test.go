package dashboard

import (
	"context"
	"encoding/json"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// TestTheRunsPageExplainsAFailedRun: a run refused for its key is listed beside the
// good one, and its page says where it failed, what Secoda said and what to do: the
// trace's own text, as `trace` and get_run_trace show it; /api/runs says the same.
func TestTheRunsPageExplainsAFailedRun(t *testing.T) {
	f := project(t)
	if body := f.get(t, "/runs"); !strings.Contains(body, "No run has left a trace yet") {
		t.Fatalf("before any run: %.500s", body)
	}
	f.run(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := pipeline.Run(ctx, f.plan, pipeline.RunOptions{APIKey: newKey(t), BaseBackoff: time.Millisecond}); err == nil {
		t.Fatal("a wrong key ran")
	}
	failed, err := pipeline.FindTrace(f.plan, "")
	if err != nil || failed.Error == nil {
		t.Fatalf("%+v %v", failed, err)
	}
	list := f.get(t, "/runs")
	if bodyRows(t, list) != 2 || !strings.Contains(list, "key_rejected at extract") || !strings.Contains(list, "loaded") ||
		!strings.Contains(list, html.EscapeString(f.s.link("/runs", url.Values{"id": {failed.RunID}}))) {
		t.Fatalf("the list of runs: %.3000s", list)
	}
	one := f.get(t, "/runs?id="+failed.RunID)
	for _, want := range []string{"Failed at <strong>extract</strong>: key_rejected", "HTTP 401", html.EscapeString(failed.Error.Next), html.EscapeString(failed.Text())} {
		if !strings.Contains(one, want) {
			t.Errorf("the failed run's page lacks %q:\n%.3000s", want, one)
		}
	}
	if strings.Contains(one, f.key) {
		t.Fatal("the page shows the key")
	}
	var got pipeline.Trace
	if err := json.Unmarshal([]byte(f.get(t, "/api/runs?id="+failed.RunID)), &got); err != nil || got.Error == nil || *got.Error != *failed.Error || got.RunID != failed.RunID {
		t.Fatalf("/api/runs?id=: %+v %v", got, err)
	}
	var all struct{ Runs []pipeline.Trace }
	if err := json.Unmarshal([]byte(f.get(t, "/api/runs")), &all); err != nil || len(all.Runs) != 2 || all.Runs[0].RunID != failed.RunID {
		t.Fatalf("/api/runs: %+v %v", all, err)
	}
	if res := f.do(t, request{path: "/runs?id=42", token: f.s.Token()}); res.status != 500 || !strings.Contains(res.body, "no trace of run") {
		t.Fatalf("an unknown run: %d %.300s", res.status, res.body)
	}
}

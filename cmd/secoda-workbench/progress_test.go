package main

import (
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

func TestProgressOnATerminalRedrawsInPlace(t *testing.T) {
	errOut := &syncBuffer{}
	p := newProgressPrinter(&ioStreams{ErrOut: errOut, ErrTTY: true})
	p.update(pipeline.Progress{Resource: "resource_catalog", Pages: 1, TotalPages: 4, Records: 50, Rows: 350})
	p.update(pipeline.Progress{Retry: &secoda.Event{Method: "GET", Path: "/api/v1/document/", Status: 429, Reason: "rate limited", Attempt: 1, Wait: time.Second}})
	p.update(pipeline.Progress{Resource: "document", Pages: 1, TotalPages: 1, Records: 25, Rows: 120, Done: true})
	p.update(pipeline.Progress{Resource: "resource_catalog", Pages: 4, TotalPages: 4, Records: 198, Rows: 1300, Done: true})
	p.finish()
	out := errOut.String()
	for _, want := range []string{"\x1b[2K", "\x1b[3A", "resource_catalog     page 4/4, 198 records, 1300 rows", "document             page 1/1", "1 retries, 1 answered 429"} {
		if !strings.Contains(out, want) {
			t.Errorf("the live display lacks %q:\n%q", want, out)
		}
	}
}

func TestProgressElsewherePrintsLines(t *testing.T) {
	errOut := &syncBuffer{}
	p := newProgressPrinter(&ioStreams{ErrOut: errOut})
	p.update(pipeline.Progress{Resource: "resource_catalog", Pages: 1, TotalPages: 4, Records: 50, Rows: 350})
	p.update(pipeline.Progress{Resource: "resource_catalog", Pages: 2, TotalPages: 4, Records: 100, Rows: 700}) // within the second: not printed
	p.update(pipeline.Progress{Retry: &secoda.Event{Method: "GET", Path: "/api/v1/document/", Status: 503, Reason: "server error", Attempt: 1, Wait: 2 * time.Second}})
	p.update(pipeline.Progress{Resource: "resource_catalog", Pages: 4, TotalPages: 4, Records: 198, Skipped: 10, Rows: 1300, Done: true})
	p.finish()
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 3 || strings.Contains(errOut.String(), "\x1b") {
		t.Fatalf("want 3 plain lines, got %q", lines)
	}
	if !strings.Contains(lines[0], "page 1/4, 50 records") || !strings.Contains(lines[0], "ETA") ||
		!strings.Contains(lines[1], "retrying GET /api/v1/document/ (server error), attempt 2, in 2s") ||
		!strings.Contains(lines[2], "(10 already loaded)") || !strings.Contains(lines[2], "done") {
		t.Fatalf("%q", lines)
	}
}

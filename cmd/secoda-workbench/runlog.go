package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/buildinfo"
	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// runLog is `run --log-format json`: one JSON object a line, as log collectors take
// them (slog's JSON: time, level, msg — the event's name — and its fields). Events:
// start, progress (at most one a second per resource, and its end), retry (a 429's
// wait among them), warning, notify, and summary, the last line, with the outcome,
// the exit status, the error's kind, step and next step, and the load info.
type runLog struct {
	log   *slog.Logger
	plan  *pipeline.Plan
	mu    sync.Mutex
	runID string
	last  map[string]time.Time // the last progress line, per resource
}

// newRunLog logs a run of plan on w; every line names the pipeline.
func newRunLog(w io.Writer, plan *pipeline.Plan) *runLog {
	log := slog.New(slog.NewJSONHandler(w, nil)).With("pipeline", plan.PipelineName)
	return &runLog{log: log, plan: plan, last: map[string]time.Time{}}
}

func (l *runLog) start(runID string) {
	l.mu.Lock()
	l.runID = runID
	l.mu.Unlock()
	l.log.Info("start", "run_id", runID, "dataset", l.plan.DatasetName, "destination", l.plan.Destination(l.plan.Dir),
		"version", buildinfo.Version())
}

func (l *runLog) progress(p pipeline.Progress) {
	if e := p.Retry; e != nil {
		attrs := []any{"method", e.Method, "path", e.Path, "reason", e.Reason, "attempt", e.Attempt,
			"wait_seconds", e.Wait.Seconds(), "rate_limited", e.Status == 429}
		if e.Status != 0 {
			attrs = append(attrs, "status", e.Status)
		}
		if e.Detail != "" {
			attrs = append(attrs, "detail", e.Detail)
		}
		l.log.Warn("retry", attrs...)
		return
	}
	l.mu.Lock()
	due := p.Done || time.Since(l.last[p.Resource]) >= time.Second
	if due {
		l.last[p.Resource] = time.Now()
	}
	l.mu.Unlock()
	if !due {
		return
	}
	attrs := []any{"resource", p.Resource, "pages", p.Pages, "records", p.Records, "done", p.Done}
	if p.TotalPages > 0 {
		attrs = append(attrs, "total_pages", p.TotalPages)
	}
	if p.Rows >= 0 {
		attrs = append(attrs, "rows", p.Rows)
	}
	if p.Skipped > 0 {
		attrs = append(attrs, "skipped", p.Skipped)
	}
	if p.Partitions > 1 {
		attrs = append(attrs, "partitions", p.Partitions, "partitions_done", p.PartitionsDone)
	}
	l.log.Info("progress", attrs...)
}

func (l *runLog) warning(msg string) { l.log.Warn("warning", "message", msg) }

func (l *runLog) notified(r notify.Result) {
	level := slog.LevelInfo
	if !r.Sent {
		level = slog.LevelWarn
	}
	l.log.Log(context.Background(), level, "notify", "event", r.Event, "format", r.Format, "sent", r.Sent, "attempts", r.Attempts,
		"status", r.Status, "error", r.Error, "seconds", r.Seconds)
}

// summary is the last line: what the run did and the status it exits with. The
// outcome and the error are the run's trace's, when it left one.
func (l *runLog) summary(info *pipeline.LoadInfo, err error, code int) {
	l.mu.Lock()
	runID := l.runID
	l.mu.Unlock()
	attrs := []any{"run_id", runID, "exit_code", code}
	level := slog.LevelInfo
	if code != exitOK {
		level = slog.LevelWarn
	}
	if info != nil {
		var records int64
		for _, r := range info.Resources {
			records += r.Records
		}
		attrs = append(attrs, "outcome", info.Status(), "load_id", info.LoadID, "records", records,
			"requests", info.Requests, "retries", info.Retries, "rate_limited", info.RateLimited,
			"seconds", info.Duration.Seconds())
	}
	if err != nil && info == nil {
		level = slog.LevelError
		outcome, described := pipeline.OutcomeFailed, pipeline.DescribeError(err, "")
		if runID != "" { // the trace knows the step it failed at
			if t, terr := pipeline.FindTrace(l.plan, runID); terr == nil && t.Error != nil {
				outcome, described = t.Outcome, t.Error
			}
		}
		attrs = append(attrs, "outcome", outcome, "error", described)
	}
	if info != nil {
		attrs = append(attrs, "load_info", info)
	}
	l.log.Log(context.Background(), level, "summary", attrs...)
}

package pipeline

import (
	"context"
	"os"
	"time"

	"github.com/secoda-workbench/secoda-workbench/notify"
)

// previousOutcome is the outcome of the last run, when a recovery's notification
// depends on it: a run whose failure was told (or was due to be), so that a recovery
// is never the first the team hears of a failure (an agent's run, a --no-notify run).
func previousOutcome(plan *Plan) string {
	if plan.Notify == nil || !plan.Notify.On[notify.OnRecovery] {
		return ""
	}
	if last, err := Traces(plan, 1); err == nil && len(last) == 1 && last[0].Notify != nil && last[0].Notify.Event != notify.OnRecovery {
		return last[0].Outcome
	}
	return ""
}

// Refused is a run that could not start, for want of what the caller finds before
// calling Run (the API key, the destination's password): it leaves a trace of the
// failure in the work folder, where there is one, and sends the failure's
// notification as a run that started would. err is returned as it is.
func Refused(ctx context.Context, plan *Plan, opts RunOptions, err error) error {
	resources, rerr := selectResources(plan, opts.Resources)
	if rerr != nil {
		return err
	}
	traced(ctx, plan, opts, resources, func(_ RunOptions, tr *tracer) (*LoadInfo, error) {
		if work, werr := workFolder(plan, true); werr == nil {
			tr.start(work)
		}
		return nil, err
	})
	return err
}

// notifyEvent is the event a run of outcome sends under c, after a run of previous;
// "" for none.
func notifyEvent(c *notify.Config, outcome, previous string) string {
	switch outcome {
	case OutcomeFailed, OutcomeCancelled:
		if c.On[notify.OnFailure] {
			return notify.OnFailure
		}
	case OutcomeIncomplete:
		if c.On[notify.OnIncomplete] {
			return notify.OnIncomplete
		}
	case OutcomeLoaded, OutcomeUnchanged:
		switch previous {
		case OutcomeFailed, OutcomeCancelled, OutcomeInterrupted, OutcomeIncomplete:
			if c.On[notify.OnRecovery] {
				return notify.OnRecovery
			}
		}
	}
	return ""
}

// cancelledNotifyTimeout bounds the one attempt a cancelled run makes: it was asked to
// stop, and stops promptly.
const cancelledNotifyTimeout = 5 * time.Second

// notify sends the run's notification when c asks for one, and keeps what sending did
// in the trace. Nothing here fails the run. A cancelled run (Ctrl-C, SIGTERM, a
// scheduler's deadline) still sends, once, within cancelledNotifyTimeout.
func (tr *tracer) notify(ctx context.Context, c *notify.Config, opts RunOptions, info *LoadInfo, previous string) {
	tr.mu.Lock()
	t := tr.t
	tr.mu.Unlock()
	event := notifyEvent(c, t.Outcome, previous)
	if event == "" {
		return
	}
	host, _ := os.Hostname()
	m := &notify.Message{Event: event, Pipeline: t.Pipeline, Outcome: t.Outcome, RunID: t.RunID, LoadID: t.LoadID,
		Dataset: t.Dataset, Destination: t.Destination, StartedAt: t.StartedAt, Seconds: t.Seconds, Host: host, Version: t.Version}
	if event == notify.OnRecovery {
		m.Previous = previous
	}
	if e := t.Error; e != nil {
		m.Step, m.Kind, m.Next = e.Step, e.Kind, e.Next
		m.Error = tr.redactor.Redact(e.Message)
	}
	if info != nil {
		for _, inc := range info.Incomplete() {
			m.Incomplete = append(m.Incomplete, tr.redactor.Redact(inc.String()))
		}
		if event == notify.OnIncomplete && len(m.Incomplete) > 0 {
			m.Next = "read the parts named, and narrow the resource's filter or raise its cap as each says"
		}
	}
	cfg := *c
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), cancelledNotifyTimeout)
		defer cancel()
		cfg.Retries, cfg.Timeout = 0, min(cfg.Timeout, cancelledNotifyTimeout)
	}
	sender := opts.Notifier
	if sender == nil {
		sender = &notify.Sender{}
	}
	res := sender.Send(ctx, &cfg, opts.NotifyURL, m)
	res.Error = tr.redactor.Redact(res.Error)
	tr.mu.Lock()
	tr.t.Notify = &res
	tr.mu.Unlock()
	tr.write()
	if opts.OnNotify != nil {
		opts.OnNotify(res)
	}
}

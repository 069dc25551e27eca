package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// The [notify] webhook's URL is a secret (whoever has it posts to the channel): `secrets
// set --notify` keeps it in the OS keyring under the pipeline's name, as the API key is
// kept under its host; SECODA_NOTIFY_URL (or its file) wins.

// notifyPlan is the project's plan, which must have a [notify] section.
func (a *app) notifyPlan() (*pipeline.Plan, error) {
	plan, err := a.loadPlan()
	if err != nil {
		return nil, err
	}
	if plan.Notify == nil {
		return nil, fmt.Errorf("%s has no [notify] section: add one (format = \"slack\" or \"json\") before keeping its webhook's URL", pipeline.ConfigFileName)
	}
	return plan, nil
}

// setNotifyURL prompts for the webhook's URL, sends a test message to it (unless
// noVerify) and keeps it in the OS keyring.
func (a *app) setNotifyURL(ctx context.Context, noVerify bool) error {
	plan, err := a.notifyPlan()
	if err != nil {
		return err
	}
	raw, err := a.readSecret(fmt.Sprintf("Webhook URL for the notifications of %s (it will not be shown): ", plan.PipelineName))
	if err != nil {
		return fmt.Errorf("reading the webhook URL: %w", err)
	}
	u := strings.TrimSpace(raw)
	switch {
	case u == "":
		return fmt.Errorf("nothing was given: paste the webhook's URL at the prompt, or pipe it on stdin")
	case len(u) > maxKeyLen:
		return fmt.Errorf("that is longer than %d characters, not a webhook URL", maxKeyLen)
	}
	a.redactor.Add(u)
	if err := notify.CheckURL(u); err != nil {
		return fmt.Errorf("%w; nothing was stored", err)
	}
	if !noVerify {
		res := (&notify.Sender{}).Send(ctx, plan.Notify, u, &notify.Message{Event: notify.EventTest, Pipeline: plan.PipelineName})
		if !res.Sent {
			return fmt.Errorf("the test message was not sent: %s; nothing was stored (pass --no-verify to store it unchecked)", res.Error)
		}
		fmt.Fprintf(a.io.ErrOut, "Sent a test message (HTTP %d).\n", res.Status)
	}
	secret := secrets.NewSecret(u)
	if err := a.finder().StoreNotifyURL(ctx, plan.PipelineName, secret); err != nil {
		return err
	}
	fmt.Fprintf(a.io.Out, "Stored the webhook URL for the notifications of %s in the OS keyring (fingerprint %s).\n", plan.PipelineName, secret.Fingerprint())
	if a.getenv(secrets.EnvNotifyURL) != "" {
		fmt.Fprintf(a.io.ErrOut, "note: %s is set in this shell and wins over the stored one\n", secrets.EnvNotifyURL)
	}
	return nil
}

// notifyReport is what `secrets status` says of the webhook URL: where it is found,
// its fingerprint, never the URL.
type notifyReport struct {
	Pipeline    string         `json:"pipeline"`
	Found       bool           `json:"found"`
	Source      secrets.Source `json:"source,omitempty"`
	Where       string         `json:"where,omitempty"`
	Fingerprint string         `json:"fingerprint,omitempty"`
	Problem     string         `json:"problem,omitempty"`
	NextStep    string         `json:"next_step"`
}

// inspectNotify reports on the webhook URL when the project has a [notify] section.
func (a *app) inspectNotify(ctx context.Context) *notifyReport {
	plan, err := a.loadPlan()
	if err != nil || plan.Notify == nil {
		return nil
	}
	rep := &notifyReport{Pipeline: plan.PipelineName}
	found, err := a.finder().FindNotifyURL(ctx, plan.PipelineName)
	if err != nil {
		rep.Problem = err.Error()
		rep.NextStep = "run `secoda-workbench secrets set --notify`, or set " + secrets.EnvNotifyURL + " where the pipeline runs"
		return rep
	}
	a.redactor.Add(found.Key.Reveal())
	rep.Found, rep.Source, rep.Where, rep.Fingerprint = true, found.Source, found.Where, found.Key.Fingerprint()
	if err := notify.CheckURL(found.Key.Reveal()); err != nil {
		rep.Problem = err.Error()
		rep.NextStep = "keep the receiver's https URL: `secoda-workbench secrets set --notify`"
		return rep
	}
	rep.NextStep = "nothing: a failed or incomplete run sends its notification (`secrets set --notify` sends a test message)"
	return rep
}

func writeNotifyStatus(io *ioStreams, rep *notifyReport) {
	if rep.Found {
		fmt.Fprintf(io.Out, "Webhook URL for the notifications of %s: found in %s, fingerprint %s\n", rep.Pipeline, rep.Where, rep.Fingerprint)
	} else {
		fmt.Fprintf(io.Out, "No webhook URL for the notifications of %s.\n", rep.Pipeline)
	}
	if rep.Problem != "" {
		fmt.Fprintln(io.Out, "Problem:", rep.Problem)
	}
	fmt.Fprintln(io.Out, "Next:", rep.NextStep)
}

// deleteNotifyURL removes the webhook URL from the OS keyring.
func (a *app) deleteNotifyURL(ctx context.Context) error {
	plan, err := a.loadPlan()
	if err != nil {
		return err
	}
	deleted, err := a.finder().DeleteNotifyURL(ctx, plan.PipelineName)
	if err != nil {
		return err
	}
	if deleted {
		fmt.Fprintf(a.io.Out, "Deleted the webhook URL of %s from the OS keyring.\n", plan.PipelineName)
	} else {
		fmt.Fprintf(a.io.Out, "No webhook URL was stored for %s.\n", plan.PipelineName)
	}
	if a.getenv(secrets.EnvNotifyURL) != "" {
		fmt.Fprintf(a.io.ErrOut, "note: %s is still set in this shell\n", secrets.EnvNotifyURL)
	}
	return nil
}

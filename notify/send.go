package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/loopback"
)

// Message is a run's outcome, as a notification tells it.
type Message struct {
	// Event is why it is sent: failure, incomplete or recovery.
	Event       string    `json:"event"`
	Pipeline    string    `json:"pipeline"`
	Outcome     string    `json:"outcome" jsonschema:"the run's: failed, cancelled, incomplete, loaded, unchanged"`
	RunID       string    `json:"run_id"`
	LoadID      string    `json:"load_id,omitempty"`
	Dataset     string    `json:"dataset"`
	Destination string    `json:"destination"`
	StartedAt   time.Time `json:"started_at"`
	Seconds     float64   `json:"seconds"`
	Host        string    `json:"host,omitempty"`
	Version     string    `json:"version"`
	// Step is where a failed run failed (prepare, extract, load); Kind and Error what
	// failed; Next what to do, as the trace says.
	Step  string `json:"step,omitempty"`
	Kind  string `json:"error_kind,omitempty"`
	Error string `json:"error,omitempty"`
	Next  string `json:"next,omitempty"`
	// Incomplete names what an incomplete run could not read.
	Incomplete []string `json:"incomplete,omitempty"`
	// Previous is the outcome of the run a recovery follows.
	Previous string `json:"previous_outcome,omitempty"`
}

// Text is the message for people: one line of what happened, then what to do.
func (m *Message) Text() string {
	var b strings.Builder
	switch m.Event {
	case OnFailure:
		fmt.Fprintf(&b, "secoda-workbench: pipeline %s %s", m.Pipeline, m.Outcome)
		if m.Step != "" {
			fmt.Fprintf(&b, " at %s", m.Step)
		}
		if m.Error != "" {
			fmt.Fprintf(&b, ": %s", firstLine(m.Error))
		}
	case OnIncomplete:
		fmt.Fprintf(&b, "secoda-workbench: pipeline %s loaded, incomplete", m.Pipeline)
		if len(m.Incomplete) > 0 {
			fmt.Fprintf(&b, ": %s", strings.Join(m.Incomplete, "; "))
		}
	case EventTest:
		fmt.Fprintf(&b, "secoda-workbench: notifications of pipeline %s will arrive here (a test message from `secrets set --notify`)", m.Pipeline)
		return b.String()
	case OnRecovery:
		fmt.Fprintf(&b, "secoda-workbench: pipeline %s %s again", m.Pipeline, m.Outcome)
		if m.Previous != "" {
			fmt.Fprintf(&b, " (the run before was %s)", m.Previous)
		}
	}
	if m.Next != "" {
		fmt.Fprintf(&b, "\nNext: %s", m.Next)
	}
	fmt.Fprintf(&b, "\nRun %s", m.RunID)
	if m.Host != "" {
		fmt.Fprintf(&b, " on %s", m.Host)
	}
	fmt.Fprintf(&b, ", dataset %s in %s, %.1f s. `secoda-workbench trace %s` shows what it did.", m.Dataset, m.Destination, m.Seconds, m.RunID)
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// Payload is the request body in format: Slack's {"text": …}, or the message as JSON
// with its text beside it.
func (m *Message) Payload(format string) ([]byte, error) {
	if format == FormatSlack {
		return json.Marshal(struct {
			Text string `json:"text"`
		}{m.Text()})
	}
	return json.Marshal(struct {
		*Message
		Text string `json:"text"`
	}{m, m.Text()})
}

// EventTest is the message `secrets set --notify` sends to check the URL.
const EventTest = "test"

// Result is what sending did, as a run's trace keeps it.
type Result struct {
	Event    string  `json:"event" jsonschema:"why it was due: failure, incomplete or recovery"`
	Format   string  `json:"format" jsonschema:"slack or json"`
	Sent     bool    `json:"sent"`
	Attempts int     `json:"attempts" jsonschema:"requests made, retries included"`
	Status   int     `json:"status,omitempty" jsonschema:"the receiver's last HTTP status"`
	Error    string  `json:"error,omitempty" jsonschema:"why it was not sent, never with the URL"`
	Seconds  float64 `json:"seconds"`
}

// Sender sends messages. Its zero value sends with the defaults.
type Sender struct {
	// Client sends the requests; nil takes one that follows no redirect.
	Client *http.Client
	// Backoff is the wait before the first retry, doubled each time (1 s when 0).
	Backoff time.Duration
	// MaxWait bounds one wait, a receiver's Retry-After included (30 s when 0).
	MaxWait time.Duration
}

// maxAnswer bounds what is read of a receiver's answer.
const maxAnswer = 4 << 10

// ErrNoURL is a [notify] section with no webhook URL kept.
var ErrNoURL = errors.New("no webhook URL")

// Send posts m to the webhook at rawURL, retrying network errors, 429 and 5xx with
// back-off, each attempt bounded by c.Timeout. It never returns an error: what went
// wrong is in the Result, without the URL, which is a secret.
func (s *Sender) Send(ctx context.Context, c *Config, rawURL string, m *Message) Result {
	start := time.Now()
	res := Result{Event: m.Event, Format: c.Format}
	defer func() { res.Seconds = time.Since(start).Seconds() }()
	if rawURL == "" {
		res.Error = ErrNoURL.Error() + ": set SECODA_NOTIFY_URL where the pipeline runs, or run `secoda-workbench secrets set --notify`"
		return res
	}
	if err := CheckURL(rawURL); err != nil {
		res.Error = err.Error()
		return res
	}
	body, err := m.Payload(c.Format)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	client := s.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	backoff, maxWait := s.Backoff, s.MaxWait
	if backoff <= 0 {
		backoff = time.Second
	}
	if maxWait <= 0 {
		maxWait = 30 * time.Second
	}
	for attempt := 0; ; attempt++ {
		res.Attempts = attempt + 1
		status, wait, retry, err := s.attempt(ctx, client, c.Timeout, rawURL, body)
		res.Status = status
		if err == nil {
			res.Sent, res.Error = true, ""
			return res
		}
		res.Error = err.Error()
		if !retry || attempt >= c.Retries || ctx.Err() != nil {
			return res
		}
		if wait <= 0 {
			wait = backoff << attempt
		}
		wait = min(wait, maxWait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			res.Error += " (stopped waiting to retry: " + ctx.Err().Error() + ")"
			return res
		case <-t.C:
		}
	}
}

// attempt is one request: its status, the wait a 429 or 503 asked for, and whether
// to retry.
func (s *Sender) attempt(ctx context.Context, client *http.Client, timeout time.Duration, rawURL string, body []byte) (status int, wait time.Duration, retry bool, err error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, false, errors.New("the webhook URL does not parse")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "secoda-workbench")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // its text holds the URL
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return 0, 0, true, fmt.Errorf("the webhook did not answer within %s", timeout)
		}
		return 0, 0, ctx.Err() == nil, fmt.Errorf("the webhook could not be reached: %v", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	status = resp.StatusCode
	if status >= 200 && status < 300 {
		return status, 0, false, nil
	}
	said := strings.TrimSpace(firstLine(string(answer)))
	if len(said) > 200 {
		said = said[:200] + "…"
	}
	if said != "" {
		said = " (" + said + ")"
	}
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
			wait = time.Duration(secs) * time.Second
		}
		return status, wait, true, fmt.Errorf("the webhook answered %d%s", status, said)
	case status >= 300 && status < 400:
		return status, 0, false, fmt.Errorf("the webhook answered %d, a redirect, which is not followed: keep the final URL (`secoda-workbench secrets set --notify`)", status)
	}
	return status, 0, false, fmt.Errorf("the webhook answered %d%s: check its URL (`secoda-workbench secrets set --notify`)", status, said)
}

// CheckURL says what is wrong with a webhook URL, never repeating it: https, or http to
// this machine.
func CheckURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return errors.New("the webhook URL is not a URL: it starts with https://")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback.Host(u.Hostname()):
	case u.Scheme == "http":
		return errors.New("the webhook URL is http to another machine, which would send it and the message in clear: use https")
	default:
		return errors.New("the webhook URL must be https")
	}
	if u.User != nil {
		return errors.New("the webhook URL holds a user and password, which are not sent: keep the receiver's own URL")
	}
	return nil
}

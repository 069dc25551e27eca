// Package notify tells a team when an unattended run fails, is incomplete, or loads
// again after failing: one message to a webhook (Slack's incoming webhooks, and what
// takes their format, or plain JSON), retried with back-off, bounded in time, never
// failing the run it reports on. The webhook URL is a secret: it comes from the OS
// keyring or the environment, never from the config, and no error repeats it.
package notify

import "time"

// The formats a message is sent in.
const (
	// FormatSlack is a Slack incoming webhook's {"text": …} (Mattermost, Rocket.Chat,
	// and Discord's /slack endpoint take it too).
	FormatSlack = "slack"
	// FormatJSON is the run's outcome as a JSON object, for any receiver.
	FormatJSON = "json"
)

// Formats are the values [notify] format takes.
var Formats = []string{FormatSlack, FormatJSON}

// The events a message is sent on.
const (
	OnFailure    = "failure"    // the run failed (or was interrupted)
	OnIncomplete = "incomplete" // the run loaded, but parts of the workspace were out of reach
	OnRecovery   = "recovery"   // the run loaded after the previous run failed or was incomplete
)

// Events are the values [notify] on takes.
var Events = []string{OnFailure, OnIncomplete, OnRecovery}

// Defaults of a [notify] section's settings.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 3
)

// Config is a [notify] section, resolved: where a run's outcome is sent is not here
// (the URL is a secret), only how and when.
type Config struct {
	Format string
	// On holds the events that send a message.
	On map[string]bool
	// Timeout bounds each attempt; Retries are the attempts after the first.
	Timeout time.Duration
	Retries int
}

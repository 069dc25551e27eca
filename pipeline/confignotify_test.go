package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/notify"
)

// TestNotifyIsReadWithItsDefaults: an empty [notify] sends failures and incomplete
// runs as Slack text; each setting is taken as written; no section, no notifications.
func TestNotifyIsReadWithItsDefaults(t *testing.T) {
	plan, err := ParseConfig("", []byte("[resources.tag]\n"))
	if err != nil || plan.Notify != nil {
		t.Fatalf("no [notify]: %+v, %v", plan.Notify, err)
	}
	plan, err = ParseConfig("", []byte("[notify]\n[resources.tag]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n := plan.Notify; n == nil || n.Format != notify.FormatSlack || !n.On[notify.OnFailure] || !n.On[notify.OnIncomplete] || n.On[notify.OnRecovery] ||
		n.Timeout != notify.DefaultTimeout || n.Retries != notify.DefaultRetries {
		t.Fatalf("defaults: %+v", n)
	}
	plan, err = ParseConfig("", []byte("[notify]\nformat = \"json\"\non = [\"failure\", \"recovery\"]\ntimeout_seconds = 3\nretries = 0\n[resources.tag]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n := plan.Notify; n.Format != notify.FormatJSON || !n.On[notify.OnFailure] || n.On[notify.OnIncomplete] || !n.On[notify.OnRecovery] ||
		n.Timeout != 3*time.Second || n.Retries != 0 {
		t.Fatalf("as written: %+v", n)
	}
}

// TestTheWebhookURLIsNeverInTheConfig: a URL, under any key or as any value of
// [notify], is refused at its line without being repeated, saying where it goes.
func TestTheWebhookURLIsNeverInTheConfig(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"
	for _, tc := range []struct{ src, at, want string }{
		{"[notify]\nurl = \"" + hook + "\"\n", "2:1", "secrets set --notify"},
		{"[notify]\nwebhook = \"" + hook + "\"\n", "2:1", "SECODA_NOTIFY_URL"},
		{"[notify]\nslack_webhook_url = \"" + hook + "\"\n", "2:1", "secrets set --notify"},
		{"[notify]\nformat = \"" + hook + "\"\n", "2:10", "takes at most 16 bytes (slack or json)"},
		{"[notify]\nformat = \"https://h/SECRET\"\n", "2:10", "secrets set --notify"},
		{"[notify]\non = [\"failure\", \"" + hook + "\"]\n", "2:18", "secrets set --notify"},
		{"[notify]\nformat = \"teams\"\n", "2:10", "expected slack or json"},
		{"[notify]\non = [\"failures\"]\n", "2:7", "did you mean failure"},
		{"[notify]\non = []\n", "2:1", "no events"},
		{"[notify]\non = [\"failure\", \"failure\"]\n", "2:18", "listed twice"},
		{"[notify]\ntimeout_seconds = 0\n", "2:19", "1 to 120"},
		{"[notify]\nretries = 11\n", "2:11", "0 to 10"},
		{"[notify]\nchannel = \"#data\"\n", "2:1", "unknown key"},
	} {
		_, err := ParseConfig(ConfigFileName, []byte(tc.src+"[resources.tag]\n"))
		if err == nil || !strings.Contains(err.Error(), ConfigFileName+":"+tc.at+":") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: want %q at %s, got %v", tc.src, tc.want, tc.at, err)
		}
		if err != nil && strings.Contains(err.Error(), "XXXXSECRETXXXX") {
			t.Errorf("the error repeats the webhook's URL: %v", err)
		}
	}
}

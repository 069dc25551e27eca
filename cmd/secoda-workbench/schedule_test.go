package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/filelock"
	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// webhook is a receiver on loopback: it answers each request with the next of
// statuses (the last repeated) and keeps the bodies.
type webhook struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
	srv      *httptest.Server
	token    string
}

func newWebhook(t *testing.T, statuses ...int) *webhook {
	t.Helper()
	b := make([]byte, 12)
	rand.Read(b)
	h := &webhook{statuses: statuses, token: hex.EncodeToString(b)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(body))
		status := h.statuses[min(len(h.bodies), len(h.statuses))-1]
		h.mu.Unlock()
		if r.URL.Path != "/services/"+h.token {
			status = http.StatusNotFound
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *webhook) url() string { return h.srv.URL + "/services/" + h.token }

func (h *webhook) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

// jsonLines parses run --log-format json's output: every line one object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var events []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("a line that is not one JSON object: %q (%v)", sc.Text(), err)
		}
		if ev["time"] == nil || ev["level"] == nil || ev["msg"] == nil || ev["pipeline"] != pipeline.DefaultPipelineName {
			t.Fatalf("a line without time, level, msg and pipeline: %q", sc.Text())
		}
		events = append(events, ev)
	}
	if len(events) == 0 {
		t.Fatal("no events")
	}
	return events
}

func eventsNamed(events []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, ev := range events {
		if ev["msg"] == msg {
			out = append(out, ev)
		}
	}
	return out
}

func withNotify(t *testing.T, section string) {
	t.Helper()
	b, err := os.ReadFile(pipeline.ConfigFileName)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pipeline.ConfigFileName, append(b, []byte("\n"+section)...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAScheduledRunThatFailsNotifiesOnce: a run as a scheduler starts it (no terminal,
// JSON logs) whose key Secoda rejects sends one notification (retried once past the
// receiver's 503), exits 4, logs one event a line ending in the summary, and leaves a
// trace recording the notification; no secret is in any of it. The next run, with the
// right key, loads and tells of the recovery; the one after has nothing new to say.
func TestAScheduledRunThatFailsNotifiesOnce(t *testing.T) {
	inProject(t)
	env := simEnv(t)
	unpaced(t)
	withNotify(t, "[notify]\nformat = \"json\"\non = [\"failure\", \"incomplete\", \"recovery\"]\nretries = 2\ntimeout_seconds = 5\n")
	hook := newWebhook(t, http.StatusServiceUnavailable, http.StatusOK)
	rightKey := env["SECODA_API_KEY"]
	wrongKey := hex.EncodeToString([]byte(rightKey))[:32]
	env["SECODA_API_KEY"], env["SECODA_NOTIFY_URL"] = wrongKey, hook.url()
	var all strings.Builder
	ta := &testApp{store: &secretstest.MemStore{}, env: env}
	run := ta.recording(t, &all)

	code, out, errOut := run("run", "--log-format", "json", "--resources", "collection")
	if code != exitKey {
		t.Fatalf("a rejected key: exit %d, want %d\n%s\n%s", code, exitKey, out, errOut)
	}
	events := jsonLines(t, out)
	summary := events[len(events)-1]
	errObj, _ := summary["error"].(map[string]any)
	if summary["msg"] != "summary" || summary["level"] != "ERROR" || summary["exit_code"] != float64(exitKey) || summary["outcome"] != pipeline.OutcomeFailed ||
		errObj["kind"] != "key_rejected" || errObj["step"] != pipeline.StepExtract || !strings.Contains(errObj["next"].(string), "secrets set") {
		t.Fatalf("the last line: %v", summary)
	}
	if starts := eventsNamed(events, "start"); len(starts) != 1 || starts[0]["run_id"] != summary["run_id"] {
		t.Fatalf("start events %v, summary %v", starts, summary)
	}
	notified := eventsNamed(events, "notify")
	if len(notified) != 1 || notified[0]["sent"] != true || notified[0]["attempts"] != float64(2) || notified[0]["event"] != notify.OnFailure {
		t.Fatalf("notify events: %v", notified)
	}
	got := hook.received()
	if len(got) != 2 || got[0] != got[1] {
		t.Fatalf("the receiver got %d requests (want the message and its one retry):\n%s", len(got), strings.Join(got, "\n"))
	}
	var msg notify.Message
	if err := json.Unmarshal([]byte(got[0]), &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Event != notify.OnFailure || msg.Pipeline != pipeline.DefaultPipelineName || msg.Outcome != pipeline.OutcomeFailed || msg.Step != pipeline.StepExtract ||
		msg.Kind != "key_rejected" || msg.RunID != summary["run_id"] || !strings.Contains(msg.Next, "secrets set") {
		t.Fatalf("the message: %+v", msg)
	}
	trace, err := pipeline.FindTrace(mustPlan(t), msg.RunID)
	if err != nil || trace.Notify == nil || !trace.Notify.Sent || trace.Notify.Attempts != 2 || trace.Error == nil || trace.Error.Kind != "key_rejected" {
		t.Fatalf("the trace: %+v, %v", trace, err)
	}

	env["SECODA_API_KEY"] = rightKey
	code, out, errOut = run("run", "--log-format", "json", "--resources", "collection")
	if code != exitOK {
		t.Fatalf("the next run: exit %d\n%s\n%s", code, out, errOut)
	}
	events = jsonLines(t, out)
	if s := events[len(events)-1]; s["msg"] != "summary" || s["outcome"] != "loaded" || s["exit_code"] != float64(0) || s["load_info"] == nil {
		t.Fatalf("the summary of a load: %v", s)
	}
	if p := eventsNamed(events, "progress"); len(p) == 0 || p[len(p)-1]["resource"] != "collection" || p[len(p)-1]["done"] != true {
		t.Fatalf("progress events: %v", p)
	}
	got = hook.received()
	if len(got) != 3 {
		t.Fatalf("after the recovery the receiver has %d requests", len(got))
	}
	if err := json.Unmarshal([]byte(got[2]), &msg); err != nil || msg.Event != notify.OnRecovery || msg.Outcome != "loaded" || msg.Previous != pipeline.OutcomeFailed {
		t.Fatalf("the recovery: %+v %v", msg, err)
	}

	code, out, _ = run("run", "--log-format", "json", "--resources", "collection")
	if code != exitOK || len(hook.received()) != 3 {
		t.Fatalf("a run after a success: exit %d, %d requests\n%s", code, len(hook.received()), out)
	}
	if s := jsonLines(t, out); s[len(s)-1]["outcome"] != "unchanged" {
		t.Fatalf("nothing new: %v", s[len(s)-1])
	}
	if code, _, _ = run("run", "--detailed-exitcode", "--resources", "collection"); code != exitUnchanged {
		t.Fatalf("--detailed-exitcode with nothing new: exit %d", code)
	}
	for _, secret := range []string{rightKey, wrongKey, hook.token} {
		if strings.Contains(all.String(), secret) || strings.Contains(strings.Join(hook.received(), ""), secret) {
			t.Fatal("a secret is in the output or a message")
		}
		traces, _ := filepath.Glob(filepath.Join(pipeline.WorkDirName, pipeline.TracesDirName, "*.json"))
		for _, f := range traces {
			if b, _ := os.ReadFile(f); strings.Contains(string(b), secret) {
				t.Fatalf("a secret is in %s", f)
			}
		}
	}
}

func mustPlan(t *testing.T) *pipeline.Plan {
	t.Helper()
	plan, err := pipeline.LoadConfig(pipeline.ConfigFileName)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestExitCodesForSchedulers: each outcome a scheduler acts on exits as documented,
// and a run that cannot start (no key) still leaves a trace and sends its message.
func TestExitCodesForSchedulers(t *testing.T) {
	inProject(t)
	env := simEnv(t)
	unpaced(t)
	withNotify(t, "[notify]\nretries = 0\n")
	hook := newWebhook(t, http.StatusOK)
	if _, out, _ := runCmd(context.Background(), env, "validate"); !strings.Contains(out, "notify: slack on failure, incomplete; no webhook URL") {
		t.Fatalf("validate without a webhook URL:\n%s", out)
	}
	env["SECODA_NOTIFY_URL"] = hook.url()
	if _, out, _ := runCmd(context.Background(), env, "validate"); !strings.Contains(out, "the webhook URL is in the SECODA_NOTIFY_URL environment variable") || strings.Contains(out, hook.token) {
		t.Fatalf("validate with a webhook URL:\n%s", out)
	}
	key := env["SECODA_API_KEY"]

	delete(env, "SECODA_API_KEY")
	code, _, errOut := runCmd(context.Background(), env, "run", "--resources", "collection")
	if code != exitKey || !strings.Contains(errOut, "no Secoda API key") {
		t.Fatalf("no key: exit %d, %s", code, errOut)
	}
	var slack struct{ Text string }
	if got := hook.received(); len(got) != 1 || json.Unmarshal([]byte(got[0]), &slack) != nil || !strings.Contains(slack.Text, "failed at prepare: no Secoda API key") ||
		!strings.Contains(slack.Text, "SECODA_API_KEY_FILE") {
		t.Fatalf("no key's message: %v", got)
	}
	if tr, err := pipeline.FindTrace(mustPlan(t), ""); err != nil || tr.Error == nil || tr.Error.Kind != "no_key" || tr.Notify == nil || !tr.Notify.Sent {
		t.Fatalf("no key's trace: %+v %v", tr, err)
	}

	env["SECODA_API_KEY"] = key
	lock, err := filelock.Acquire(filepath.Join(pipeline.WorkDirName, pipeline.DefaultPipelineName+".lock"))
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd(context.Background(), env, "run", "--resources", "collection", "--no-notify")
	lock.Release()
	if code != exitInUse || !strings.Contains(errOut, "another run of this pipeline is in progress") {
		t.Fatalf("in use: exit %d, %s", code, errOut)
	}
	if len(hook.received()) != 1 {
		t.Fatalf("--no-notify sent %d", len(hook.received())-1)
	}

	webApp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { // the web app, not the API
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><title>Secoda</title>")
	}))
	t.Cleanup(webApp.Close)
	failing := map[string]string{"SECODA_API_KEY": key, "SECODA_API_URL": webApp.URL + "/api/v1", "SECODA_NOTIFY_URL": hook.url()}
	if code, _, errOut = runCmd(context.Background(), failing, "run", "--resources", "collection", "--no-notify"); code != exitFailure || !strings.Contains(errOut, "not the web app") {
		t.Fatalf("a base URL that is not the API: exit %d, %s", code, errOut)
	}

	if code, out, _ := runCmd(context.Background(), env, "status", "--max-age", "24h"); code != exitStale || !strings.Contains(out, "STALE: nothing has been loaded yet") {
		t.Fatalf("status --max-age before a load: exit %d\n%s", code, out)
	}
	if code, out, errOut := runCmd(context.Background(), env, "run", "--resources", "collection"); code != exitOK {
		t.Fatalf("a load: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ := runCmd(context.Background(), env, "status", "--max-age", "24h")
	if code != exitOK || !strings.Contains(out, "FRESH: the last complete load") {
		t.Fatalf("a fresh pipeline: exit %d\n%s", code, out)
	}
	time.Sleep(20 * time.Millisecond)
	code, out, _ = runCmd(context.Background(), env, "status", "--max-age", "10ms", "--json")
	var st struct {
		Freshness struct {
			Stale      bool    `json:"stale"`
			LoadID     string  `json:"last_complete_load"`
			AgeSeconds float64 `json:"age_seconds"`
		} `json:"freshness"`
	}
	if code != exitStale || json.Unmarshal([]byte(out), &st) != nil || !st.Freshness.Stale || st.Freshness.LoadID == "" || st.Freshness.AgeSeconds < 0.01 {
		t.Fatalf("a stale pipeline: exit %d\n%s", code, out)
	}
	for _, bad := range []string{"0", "-1h", "soon", "400d", "9000h"} {
		if code, _, errOut := runCmd(context.Background(), env, "status", "--max-age", bad); code != exitUsage {
			t.Errorf("--max-age %s: exit %d, %s", bad, code, errOut)
		}
	}
	if code, _, _ := runCmd(context.Background(), env, "run", "--log-format", "yaml"); code != exitUsage {
		t.Errorf("--log-format yaml: exit %d", code)
	}
}

// TestTheWebhookURLIsKeptLikeAKey: secrets set --notify sends a test message, then keeps
// the URL in the keyring (never in a file or an output); status says where it is; a run
// finds it there; delete removes it. A receiver that refuses the test keeps nothing.
func TestTheWebhookURLIsKeptLikeAKey(t *testing.T) {
	dir := inProject(t)
	env := simEnv(t)
	unpaced(t)
	hook := newWebhook(t, http.StatusOK)
	var all strings.Builder
	ta := &testApp{store: &secretstest.MemStore{}, env: env}
	run := ta.recording(t, &all)

	ta.stdin = hook.url() + "\n"
	if code, _, errOut := run("secrets", "set", "--notify"); code != exitFailure || !strings.Contains(errOut, "has no [notify] section") {
		t.Fatalf("without [notify]: exit %d, %s", code, errOut)
	}
	withNotify(t, "[notify]\nformat = \"slack\"\n")
	ta.stdin = "http://203.0.113.7/hooks/x\n"
	if code, _, errOut := run("secrets", "set", "--notify"); code != exitFailure || !strings.Contains(errOut, "use https") {
		t.Fatalf("an http URL to another machine: exit %d, %s", code, errOut)
	}
	ta.stdin = hook.srv.URL + "/services/not-the-token\n"
	if code, _, errOut := run("secrets", "set", "--notify"); code != exitFailure || !strings.Contains(errOut, "answered 404") || !strings.Contains(errOut, "nothing was stored") {
		t.Fatalf("a URL the receiver refuses: exit %d, %s", code, errOut)
	}
	ta.stdin = hook.url() + "\n"
	code, out, errOut := run("secrets", "set", "--notify")
	if code != exitOK || !strings.Contains(out, "Stored the webhook URL for the notifications of secoda_pipeline in the OS keyring") {
		t.Fatalf("set --notify: exit %d, %s %s", code, out, errOut)
	}
	var test struct{ Text string }
	if got := hook.received(); len(got) != 2 || json.Unmarshal([]byte(got[1]), &test) != nil || !strings.Contains(test.Text, "will arrive here") {
		t.Fatalf("the test message: %v", got)
	}
	code, out, _ = run("secrets", "status", "--no-verify")
	if code != exitOK || !strings.Contains(out, "Webhook URL for the notifications of secoda_pipeline: found in the OS keyring, fingerprint sha256:") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	delete(env, "SECODA_API_KEY") // a run that cannot start still tells, with the kept URL
	run("run", "--resources", "collection")
	if got := hook.received(); len(got) != 3 || !strings.Contains(got[2], "no Secoda API key") {
		t.Fatalf("a failed run's message through the kept URL: %v", got)
	}
	if code, out, _ = run("secrets", "delete", "--notify"); code != exitOK || !strings.Contains(out, "Deleted the webhook URL of secoda_pipeline") {
		t.Fatalf("delete: exit %d, %s", code, out)
	}
	if code, out, _ = run("secrets", "status", "--no-verify"); code != exitFailure || !strings.Contains(out, "No webhook URL for the notifications of secoda_pipeline") {
		t.Fatalf("status after delete: exit %d\n%s", code, out)
	}
	if strings.Contains(all.String(), hook.token) {
		t.Fatal("the webhook's URL is in an output")
	}
	for _, f := range filetreeFiles(t, dir) {
		if b, _ := os.ReadFile(f); strings.Contains(string(b), hook.token) {
			t.Fatalf("the webhook's URL is in %s", f)
		}
	}
}

// filetreeFiles lists the regular files under dir.
func filetreeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

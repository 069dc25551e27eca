package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
	"github.com/secoda-workbench/secoda-workbench/tools"
)

var update = flag.Bool("update", false, "rewrite generated docs (the README's endpoint table and tool reference)")

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testApp is the program as a test runs it: an in-memory keyring, a plain-text file
// in a temporary folder, the given environment and standard input.
type testApp struct {
	store    secrets.Store
	insecure string
	env      map[string]string
	stdin    string
}

// recording is ta.run as a function of the arguments alone, which adds each command's
// output to all (for a test that nothing secret appeared in any of it).
func (ta *testApp) recording(t *testing.T, all *strings.Builder) func(args ...string) (int, string, string) {
	return func(args ...string) (int, string, string) {
		t.Helper()
		code, out, errOut := ta.run(context.Background(), args...)
		all.WriteString(out + errOut)
		return code, out, errOut
	}
}

func (ta *testApp) run(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	out, errOut := &syncBuffer{}, &syncBuffer{}
	a := &app{
		io:       &ioStreams{In: strings.NewReader(ta.stdin), Out: out, ErrOut: errOut},
		getenv:   func(k string) string { return ta.env[k] },
		keyring:  secrets.NewKeyring(ta.store, time.Second),
		insecure: ta.insecure,
	}
	code = run(ctx, args, a)
	return code, out.String(), errOut.String()
}

// runCmd runs a command line as main would, with an empty environment unless env is
// given and an empty in-memory keyring.
func runCmd(ctx context.Context, env map[string]string, args ...string) (code int, stdout, stderr string) {
	ta := &testApp{store: &secretstest.MemStore{}, env: env}
	return ta.run(ctx, args...)
}

func TestEndpointsCommand(t *testing.T) {
	code, out, _ := runCmd(context.Background(), nil, "endpoints")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, e := range secoda.Endpoints {
		if !strings.Contains(out, e.Name+" ") || !strings.Contains(out, e.Path) {
			t.Errorf("the table lacks %s (%s)", e.Name, e.Path)
		}
	}

	code, out, _ = runCmd(context.Background(), nil, "endpoints", "--json")
	var got []secoda.Endpoint
	if code != exitOK || json.Unmarshal([]byte(out), &got) != nil || len(got) != len(secoda.Endpoints) {
		t.Fatalf("--json: exit %d, %d endpoints, want %d", code, len(got), len(secoda.Endpoints))
	}
	if got[0].Name != "resource_catalog" || got[0].Cursor != "updated_at" || !got[0].CatalogQuery {
		t.Fatalf("--json first entry: %+v", got[0])
	}

	code, _, errOut := runCmd(context.Background(), nil, "endpoints", "no-such-endpoint")
	if code != exitFailure || !strings.Contains(errOut, "no endpoint matches") {
		t.Fatalf("unmatched query: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCmd(context.Background(), nil, "endpoints", "--json", "--markdown")
	if code != exitUsage {
		t.Fatalf("--json with --markdown: exit %d (%q), want %d", code, errOut, exitUsage)
	}
}

// TestReadmeGeneratedSections keeps the README's endpoint table, tool reference and
// limits made from their sources (the endpoint catalog, the tool definitions, Limits);
// `go test ./cmd/secoda-workbench -run Readme -update` rewrites them.
func TestReadmeGeneratedSections(t *testing.T) {
	_, endpoints, _ := runCmd(context.Background(), nil, "endpoints", "--markdown")
	sections := []struct{ begin, end, text string }{
		{"<!-- endpoints:begin (generated: secoda-workbench endpoints --markdown) -->\n", "<!-- endpoints:end -->", endpoints},
		{"<!-- tools:begin (generated from the tool definitions in tools/) -->\n", "<!-- tools:end -->", tools.Reference(tools.All(&tools.Deps{}))},
		{"<!-- limits:begin (generated from pipeline.Limits) -->\n", "<!-- limits:end -->", pipeline.LimitsMarkdown()},
		{"<!-- exitcodes:begin (generated from exitCodes in cmd/secoda-workbench/main.go) -->\n", "<!-- exitcodes:end -->", exitCodesMarkdown()},
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	want := s
	for _, sec := range sections {
		i, j := strings.Index(want, sec.begin), strings.Index(want, sec.end)
		if i < 0 || j < i {
			t.Fatalf("README.md lacks the markers %q ... %q", sec.begin, sec.end)
		}
		want = want[:i+len(sec.begin)] + sec.text + want[j:]
	}
	if *update {
		if err := os.WriteFile("../../README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != s {
		t.Fatal("README.md's generated sections are stale: run `go test ./cmd/secoda-workbench -run Readme -update`")
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tests := [][]string{
		{"simulate", "--addr", "0.0.0.0:8787"},
		{"simulate", "--addr", "nonsense"},
		{"simulate", "--faults", "bogus=1"},
		{"simulate", "--faults", "5xx=2"},
		{"simulate", "--size", "huge"},
		{"simulate", "--retry-after", "later"},
		{"simulate", "--cap-mode", "sometimes"},
		{"endpoints", "--no-such-flag"},
		{"endpoints", "a", "b"},
		{"version", "extra"},
		{"no-such-command"},
	}
	for _, args := range tests {
		code, _, errOut := runCmd(context.Background(), nil, args...)
		if code != exitUsage || !strings.Contains(errOut, "error:") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with an error", args, code, errOut, exitUsage)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(context.Background(), nil, "version")
	if code != exitOK || !regexp.MustCompile(`^secoda-workbench \S+ \(go`).MatchString(out) {
		t.Fatalf("exit %d, %q", code, out)
	}
}

// TestSimulateServesUntilInterrupted runs the command as a newcomer would: it prints
// where it listens and the key, answers a documented envelope, and stops on Ctrl-C.
func TestSimulateServesUntilInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"simulate", "--addr", "127.0.0.1:0"}, &app{io: &ioStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut},
			getenv: func(string) string { return "" }, keyring: secrets.NewKeyring(&secretstest.MemStore{}, time.Second)})
	}()
	urlRe := regexp.MustCompile(`export SECODA_API_URL=(\S+)`)
	keyRe := regexp.MustCompile(`export SECODA_API_KEY=(\S+)`)
	var base, key string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m, k := urlRe.FindStringSubmatch(out.String()), keyRe.FindStringSubmatch(out.String()); m != nil && k != nil {
			base, key = m[1], k[1]
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("simulate printed no URL and key: %q %q", out.String(), errOut.String())
	}
	req, _ := http.NewRequest("GET", base+"/resource/catalog", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var env struct {
		Links   map[string]any `json:"links"`
		Count   int            `json:"count"`
		Results []any          `json:"results"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &env) != nil || env.Count == 0 || len(env.Results) == 0 || env.Links["next"] == nil {
		t.Fatalf("status %d, body %.200s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d after Ctrl-C: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop on cancel")
	}
}

// TestTheHostileInputTableNamesRealTests: every test the README's "Hostile input"
// table names is a test function of the repository, so the table cannot claim a test
// that was renamed or removed.
func TestTheHostileInputTableNamesRealTests(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i, j := strings.Index(s, "<!-- hostile:begin -->"), strings.Index(s, "<!-- hostile:end -->")
	if i < 0 || j < i {
		t.Fatal("README.md lacks the hostile:begin and hostile:end markers")
	}
	named := regexp.MustCompile("`(Test[A-Za-z0-9_]+)`").FindAllStringSubmatch(s[i:j], -1)
	if len(named) < 20 {
		t.Fatalf("the table names %d tests", len(named))
	}
	defined := map[string]bool{}
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		for _, m := range regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]+)\(t \*testing\.T\)`).FindAllStringSubmatch(string(b), -1) {
			defined[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range named {
		if !defined[m[1]] {
			t.Errorf("the README names %s, which no test file defines", m[1])
		}
	}
}

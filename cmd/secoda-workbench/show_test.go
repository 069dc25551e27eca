package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// showing starts `show` with args in the current project and returns the URL it
// printed, its output, and a stop func that interrupts it and returns its exit code.
func showing(t *testing.T, env map[string]string, args ...string) (url string, out *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"show"}, args...), &app{io: &ioStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut},
			getenv: func(k string) string { return env[k] }, keyring: secrets.NewKeyring(&secretstest.MemStore{}, time.Second)})
	}()
	stop = func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("show did not stop on interrupt")
			return -1
		}
	}
	re := regexp.MustCompile(`at (http://\S+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1], out, stop
		}
		select {
		case code := <-done:
			t.Fatalf("show exited %d: %s %s", code, out.String(), errOut.String())
		default:
		}
	}
	stop()
	t.Fatalf("show printed no URL: %q %q", out.String(), errOut.String())
	return "", nil, nil
}

func TestShowServesTheDashboardUntilInterrupted(t *testing.T) {
	inProject(t)
	env := simEnv(t)
	unpaced(t)
	if code, out, errOut := runCmd(context.Background(), env, "run"); code != exitOK {
		t.Fatalf("run: exit %d %s %s", code, out, errOut)
	}
	url, out, stop := showing(t, env, "--no-browser")
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.Contains(url, "/?token=") || !strings.Contains(out.String(), "Ctrl-C stops") {
		t.Fatalf("show printed %q", out.String())
	}
	base, query, _ := strings.Cut(url, "/?")
	for _, page := range []string{"", "schema", "data?table=resource_catalog"} {
		resp, err := http.Get(base + "/" + page + sep(page) + query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "secoda_pipeline") {
			t.Fatalf("%s: %d %.300s", page, resp.StatusCode, body)
		}
	}
	// A run proceeds while the dashboard is open.
	if code, out, errOut := runCmd(context.Background(), env, "run"); code != exitOK {
		t.Fatalf("run with show open: exit %d %s %s", code, out, errOut)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("show exited %d after Ctrl-C", code)
	}
	if strings.Contains(out.String(), env["SECODA_API_KEY"]) {
		t.Fatal("show printed the key")
	}
}

// sep joins a page path to the token query.
func sep(page string) string {
	if strings.Contains(page, "?") {
		return "&"
	}
	return "?"
}

func TestShowRefusesToListenBeyondThisMachine(t *testing.T) {
	inProject(t)
	unpaced(t)
	for _, addr := range []string{"0.0.0.0:0", ":8080"} {
		code, _, errOut := runCmd(context.Background(), nil, "show", "--no-browser", "--addr", addr)
		if code != exitFailure || !strings.Contains(errOut, "this machine only") {
			t.Errorf("--addr %s: exit %d, %s", addr, code, errOut)
		}
	}
}

// TestShowOpensTheBrowser: with a graphical session, show hands the URL to xdg-open
// (here a script that records what it got), without the API key in its environment;
// without one, it says so and prints the URL.
func TestShowOpensTheBrowser(t *testing.T) {
	inProject(t)
	env := simEnv(t)
	unpaced(t)
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "opened")
	script := "#!/bin/sh\n{ echo \"$@\"; env; } > " + record + ".tmp && mv " + record + ".tmp " + record + "\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("SECODA_API_KEY", env["SECODA_API_KEY"])

	withDisplay := map[string]string{"DISPLAY": ":0", "SECODA_API_KEY": env["SECODA_API_KEY"], "SECODA_API_URL": env["SECODA_API_URL"]}
	url, out, stop := showing(t, withDisplay)
	var got []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(record); err == nil {
			got = b
			break
		}
	}
	stop()
	if first, _, _ := strings.Cut(string(got), "\n"); first != url {
		t.Fatalf("xdg-open got %q, want %q", first, url)
	}
	if strings.Contains(string(got), env["SECODA_API_KEY"]) {
		t.Fatal("the browser's environment holds the API key")
	}
	if !strings.Contains(out.String(), "Opened in your browser") {
		t.Fatalf("show printed %q", out.String())
	}

	_, out, stop = showing(t, env)
	stop()
	if !strings.Contains(out.String(), "Could not open a browser (no graphical session") {
		t.Fatalf("without a display show printed %q", out.String())
	}
}

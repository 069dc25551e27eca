package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secoda"
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
// (here a script first on PATH that records what it got); without one, it says so and
// prints the URL.
func TestShowOpensTheBrowser(t *testing.T) {
	inProject(t)
	env := simEnv(t)
	unpaced(t)
	bin := fakeOpener(t)
	record := filepath.Join(bin, "opened")

	withDisplay := map[string]string{"DISPLAY": ":0", "PATH": os.Getenv("PATH"), "SECODA_API_KEY": env["SECODA_API_KEY"], "SECODA_API_URL": env["SECODA_API_URL"]}
	url, out, stop := showing(t, withDisplay)
	got := waitForFile(t, record)
	stop()
	if first, _, _ := strings.Cut(got, "\n"); first != url {
		t.Fatalf("xdg-open got %q, want %q", first, url)
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

// TestTheBrowserGetsOnlyWhatADesktopNeeds: the opener's environment is the allowed
// names, with their values, and nothing else: none of this program's secrets nor any
// other, whether show reads them from its own environment or they sit in the
// process's (as they do in real life, where getenv is os.Getenv).
func TestTheBrowserGetsOnlyWhatADesktopNeeds(t *testing.T) {
	inProject(t)
	sim := simEnv(t)
	unpaced(t)
	bin := fakeOpener(t)
	record := filepath.Join(bin, "opened")

	allowed := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": t.TempDir(), "USER": "someone", "LOGNAME": "someone", "LANG": "C.UTF-8", "LC_TIME": "C.UTF-8", "TZ": "UTC",
		"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XAUTHORITY": filepath.Join(t.TempDir(), ".Xauthority"),
		"XDG_RUNTIME_DIR": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir(), "XDG_CURRENT_DESKTOP": "GNOME",
		"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(t.TempDir(), "bus"), "BROWSER": "firefox", "TMPDIR": t.TempDir(),
	}
	secret := func() string {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(b)
	}
	// This program's own (the names it defines), and others a shell may hold; some
	// begin like allowed names, to show there are no prefixes.
	secretVars := map[string]string{
		secoda.EnvAPIKey: sim[secoda.EnvAPIKey], secrets.EnvDestinationPassword: secret(), EnvMCPToken: secret(),
		"AWS_SECRET_ACCESS_KEY": secret(), "GITHUB_TOKEN": secret(), "PGPASSWORD": secret(), "SSH_AUTH_SOCK": filepath.Join(t.TempDir(), secret()),
		"XDG_SESSION_TOKEN": secret(), "LC_SECRET": secret(), "PATH_TOKEN": secret(), "HOMEBREW_GITHUB_API_TOKEN": secret(),
	}
	notNeeded := map[string]string{secoda.EnvAPIURL: sim[secoda.EnvAPIURL]}
	getenv := map[string]string{}
	for _, m := range []map[string]string{allowed, secretVars, notNeeded} {
		for k, v := range m {
			getenv[k] = v
			t.Setenv(k, v)
		}
	}
	t.Setenv("PATH", os.Getenv("PATH")) // fakeOpener put it first
	getenv["PATH"] = os.Getenv("PATH")
	allowed["PATH"] = os.Getenv("PATH")

	_, _, stop := showing(t, getenv)
	got := waitForFile(t, record)
	stop()
	_, dump, _ := strings.Cut(got, "\n")
	seen := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(dump), "\n") {
		k, v, _ := strings.Cut(line, "=")
		seen[k] = v
	}
	for k, v := range allowed {
		if seen[k] != v {
			t.Errorf("the opener's %s is %q, want %q", k, seen[k], v)
		}
	}
	for k := range seen {
		if _, ok := allowed[k]; !ok && !shellsOwn[k] {
			t.Errorf("the opener got %s", k)
		}
	}
	for k, v := range secretVars {
		if strings.Contains(got, v) {
			t.Errorf("the opener's environment holds %s's value", k)
		}
	}
}

// shellsOwn are the variables sh sets itself.
var shellsOwn = map[string]bool{"PWD": true, "OLDPWD": true, "SHLVL": true, "_": true}

// TestNoSecretIsOnTheBrowsersList: none of the variables this program reads is passed
// to the browser; none it passes names a secret.
func TestNoSecretIsOnTheBrowsersList(t *testing.T) {
	for _, name := range browserEnvNames {
		switch {
		case name == secoda.EnvAPIKey || name == secoda.EnvAPIURL || name == secrets.EnvDestinationPassword || name == EnvMCPToken,
			strings.HasPrefix(name, "SECODA"):
			t.Errorf("%s, a variable of this program's, goes to the browser", name)
		case strings.Contains(name, "KEY"), strings.Contains(name, "TOKEN"), strings.Contains(name, "PASSWORD"), strings.Contains(name, "SECRET"), strings.Contains(name, "AUTH_SOCK"):
			t.Errorf("%s goes to the browser", name)
		}
	}
}

// fakeOpener puts first on PATH an xdg-open that writes its argument, then its
// environment, to "opened" in the folder it returns.
func fakeOpener(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	record := filepath.Join(bin, "opened")
	script := "#!/bin/sh\n{ echo \"$@\"; env; } > " + record + ".tmp && mv " + record + ".tmp " + record + "\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return bin
}

// waitForFile returns the content of path once it exists.
func waitForFile(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
	}
	t.Fatalf("nothing wrote %s", path)
	return ""
}

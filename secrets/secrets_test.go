package secrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

func newKey(t testing.TB) string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func TestKeyringWithGoKeyringsMock(t *testing.T) {
	keyring.MockInit()
	k := NewKeyring(OSStore{}, time.Second)
	ctx := context.Background()
	key := newKey(t)
	if _, err := k.Get(ctx, "api.secoda.co"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty keyring: %v", err)
	}
	if err := k.Set(ctx, "api.secoda.co", key); err != nil {
		t.Fatal(err)
	}
	if v, err := k.Get(ctx, "api.secoda.co"); err != nil || v != key {
		t.Fatalf("got %v", err)
	}
	// Hosts keep their own keys.
	if _, err := k.Get(ctx, "eapi.secoda.co"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another host: %v", err)
	}
	if err := k.Delete(ctx, "api.secoda.co"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get(ctx, "api.secoda.co"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	keyring.MockInitWithError(errors.New("dbus: DBUS_SESSION_BUS_ADDRESS not set"))
	_, err := k.Get(ctx, "api.secoda.co")
	var ue *UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(ue.Why, "no D-Bus session bus") {
		t.Fatalf("no session bus: %v", err)
	}
}

func TestKeyringErrorsBecomeTheProgramsOwn(t *testing.T) {
	tests := []struct {
		err  error
		kind error
		why  string
	}{
		{keyring.ErrNotFound, ErrNotFound, ""},
		{keyring.ErrSetDataTooBig, ErrTooLarge, ""},
		{errors.New("dial unix /run/user/0/bus: connect: no such file or directory"), ErrUnavailable, "session bus"},
		{errors.New("The name org.freedesktop.secrets was not provided by any .service files"), ErrUnavailable, "no Secret Service"},
		{errors.New("Cannot create an item in a locked collection"), ErrUnavailable, "locked"},
		{errors.New("something else"), ErrUnavailable, "something else"},
	}
	for _, tt := range tests {
		k := NewKeyring(&secretstest.MemStore{Err: tt.err}, time.Second)
		_, err := k.Get(context.Background(), "h")
		if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("%v became %v", tt.err, err)
		}
	}
}

func TestAHangingKeyringTimesOut(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	k := NewKeyring(&secretstest.MemStore{Hang: hang}, 50*time.Millisecond)
	start := time.Now()
	_, err := k.Get(context.Background(), "h")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Fatalf("%v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the timeout did not hold")
	}
}

func TestFindOrder(t *testing.T) {
	dir := t.TempDir()
	envKey, ringKey, fileKey, dltKey := newKey(t), newKey(t), newKey(t), newKey(t)
	insecure := filepath.Join(dir, "cfg", "insecure.toml")
	dlt := filepath.Join(dir, ".dlt", "secrets.toml")
	os.MkdirAll(filepath.Dir(dlt), 0o755)
	os.WriteFile(dlt, []byte("[sources.secoda_source]\napi_key = \""+dltKey+"\"\n"), 0o600)
	store := &secretstest.MemStore{}
	env := map[string]string{"SECODA_API_KEY": envKey}
	f := &Finder{Getenv: func(k string) string { return env[k] }, Keyring: NewKeyring(store, time.Second), Insecure: insecure, Dlt: dlt}
	ctx := context.Background()
	expect := func(key string, src Source, warn bool) {
		t.Helper()
		got, err := f.Find(ctx, "api.secoda.co")
		if err != nil || got.Key.Reveal() != key || got.Source != src || (len(got.Warnings) > 0) != warn {
			t.Fatalf("want %s (warnings %v), got %s %v %v", src, warn, got.Source, got.Warnings, err)
		}
	}
	store.Set(Service, "api.secoda.co", ringKey)
	if err := writeInsecure(insecure, "api.secoda.co", fileKey); err != nil {
		t.Fatal(err)
	}
	expect(envKey, FromEnv, false)
	delete(env, "SECODA_API_KEY")
	expect(ringKey, FromKeyring, false)
	store.Delete(Service, "api.secoda.co")
	expect(fileKey, FromInsecure, true)
	writeInsecure(insecure, "api.secoda.co", "")
	expect(dltKey, FromDlt, true)
	os.Remove(dlt)
	_, err := f.Find(ctx, "api.secoda.co")
	if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "secoda-workbench secrets set") {
		t.Fatalf("nothing anywhere: %v", err)
	}
	// An unavailable keyring is skipped, and said so when nothing else has a key.
	f.Keyring = NewKeyring(&secretstest.MemStore{Err: errors.New("dbus: DBUS_SESSION_BUS_ADDRESS not set")}, time.Second)
	_, err = f.Find(ctx, "api.secoda.co")
	if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "keyring was not readable") {
		t.Fatalf("%v", err)
	}
	writeInsecure(insecure, "api.secoda.co", fileKey)
	got, err := f.Find(ctx, "api.secoda.co")
	if err != nil || got.Source != FromInsecure || got.Keyring == nil {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestInsecureFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "insecure.toml")
	key := newKey(t)
	if err := writeInsecure(path, "eapi.secoda.co", key); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	dirInfo, _ := os.Stat(filepath.Dir(path))
	if info.Mode().Perm() != 0o600 || dirInfo.Mode().Perm() != 0o700 {
		t.Fatalf("modes %o %o", info.Mode().Perm(), dirInfo.Mode().Perm())
	}
	if v, err := readInsecure(path, "eapi.secoda.co"); err != nil || v != key {
		t.Fatalf("%v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := readInsecure(path, "eapi.secoda.co"); err == nil || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), key) {
		t.Fatalf("a readable file: %v", err)
	}
}

func TestBlankDltKeyKeepsTheRestByteForByte(t *testing.T) {
	key := newKey(t)
	before := "# dlt secrets\n[destination.postgres.credentials]\npassword = \"keep-me\" # a comment\n\n[sources.secoda_source]\n" +
		"api_key = \"" + key + "\"   # from Settings → API\nother = 'x'\n\n[sources.other]\napi_key = \"not-this-one\"\n"
	want := strings.Replace(before, `"`+key+`"`, `""`, 1)
	path := filepath.Join(t.TempDir(), "secrets.toml")
	os.WriteFile(path, []byte(before), 0o640)
	if v, err := ReadDltKey(path); err != nil || v != key {
		t.Fatalf("read %v", err)
	}
	if err := BlankDltKey(path); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if string(after) != want {
		t.Fatalf("after blanking:\n%s\nwant\n%s", after, want)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Fatalf("mode changed to %o", info.Mode().Perm())
	}
	if _, err := ReadDltKey(path); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a blank key: %v", err)
	}
	if err := BlankDltKey(path); err != nil {
		t.Fatalf("blanking twice: %v", err)
	}
	os.WriteFile(path, []byte("[sources.other]\napi_key = \"x\"\n"), 0o600)
	if err := BlankDltKey(path); err == nil || !strings.Contains(err.Error(), "[sources.secoda_source]") {
		t.Fatalf("no key: %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	key := newKey(t)
	s := NewSecret(key)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "key", s)
	j, _ := json.Marshal(map[string]any{"k": s})
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s), logs.String(), string(j)} {
		if strings.Contains(out, key) {
			t.Fatalf("printed: %s", out)
		}
	}
	sum := sha256.Sum256([]byte(key))
	if fp := s.Fingerprint(); fp != "sha256:"+hex.EncodeToString(sum[:6]) {
		t.Fatalf("fingerprint %s", fp)
	}
}

func TestRedactingWriter(t *testing.T) {
	key := newKey(t) + "+/="
	r := &Redactor{}
	r.Add("short") // too short to be a key: ignored
	r.Add(key)
	var out bytes.Buffer
	w := r.Writer(&out)
	// The key split across writes, its escaped form, and text around it.
	fmt.Fprint(w, "a "+key[:5])
	fmt.Fprint(w, key[5:]+" b ")
	fmt.Fprint(w, "url?k=")
	fmt.Fprint(w, "q="+url.QueryEscape(key)+"\n")
	fmt.Fprint(w, "ends with "+key[:3])
	w.Flush()
	got := out.String()
	if strings.Contains(got, key) || strings.Contains(got, url.QueryEscape(key)) {
		t.Fatalf("leaked: %q", got)
	}
	if got != "a "+Redacted+" b url?k=q="+Redacted+"\nends with "+key[:3] {
		t.Fatalf("%q", got)
	}
	if r.Redact("short and sweet") != "short and sweet" {
		t.Fatal("a short secret redacted text")
	}
}

func TestInspect(t *testing.T) {
	key := newKey(t)
	sim, _ := simulator.New(simulator.Options{APIKeys: []string{key}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	base := srv.URL + "/api/v1"
	host := strings.TrimPrefix(srv.URL, "http://")
	store := &secretstest.MemStore{}
	f := &Finder{Getenv: func(string) string { return "" }, Keyring: NewKeyring(store, time.Second)}
	ctx := context.Background()

	rep := Inspect(ctx, f, host, base, true, nil)
	if rep.Found || !strings.Contains(rep.NextStep, "secoda-workbench secrets set") || !strings.Contains(rep.NextStep, "Never ask for the key") {
		t.Fatalf("no key: %+v", rep)
	}
	store.Set(Service, host, key)
	rep = Inspect(ctx, f, host, base, true, nil)
	if !rep.Found || rep.Source != FromKeyring || !rep.Checked || !rep.Verified || rep.Status != 200 || rep.Fingerprint != Fingerprint(key) {
		t.Fatalf("a good key: %+v", rep)
	}
	store.Set(Service, host, newKey(t))
	rep = Inspect(ctx, f, host, base, true, nil)
	if !rep.Found || rep.Verified || rep.Status != 401 || !strings.Contains(rep.Problem, "rejected") {
		t.Fatalf("a wrong key: %+v", rep)
	}
	rep = Inspect(ctx, f, host, "http://127.0.0.1:1/api/v1", true, nil)
	if rep.Verified || !strings.Contains(rep.NextStep, "network") {
		t.Fatalf("unreachable: %+v", rep)
	}
	j, _ := json.Marshal(rep)
	if strings.Contains(string(j), key) {
		t.Fatal("the report holds the key")
	}
}

func TestStoreWithoutAKeyringOffersTheAlternatives(t *testing.T) {
	dir := t.TempDir()
	f := &Finder{Getenv: func(string) string { return "" }, Insecure: filepath.Join(dir, "insecure.toml"),
		Keyring: NewKeyring(&secretstest.MemStore{Err: errors.New("The name org.freedesktop.secrets was not provided by any .service files")}, time.Second)}
	key := NewSecret(newKey(t))
	_, err := f.Store(context.Background(), "api.secoda.co", key, false)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "SECODA_API_KEY") || !strings.Contains(err.Error(), "--insecure-storage") {
		t.Fatalf("%v", err)
	}
	if _, err := os.Stat(f.Insecure); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a plain-text file was written without --insecure-storage")
	}
	where, err := f.Store(context.Background(), "api.secoda.co", key, true)
	if err != nil || !strings.Contains(where, "plain text") {
		t.Fatalf("%s %v", where, err)
	}
	removed, err := f.Delete(context.Background(), "api.secoda.co")
	if err != nil || len(removed) != 1 || removed[0] != f.Insecure {
		t.Fatalf("delete: %v %v", removed, err)
	}
}

// TestRedactorKnowsEveryEncodingTheProgramWrites: JSON (Go's \u003c and \u0026
// escapes, and without them), CSV's doubled quotes, Markdown and terminal table
// cells, URL escapes, one inside another, and a secret cut short by a cell bound.
func TestRedactorKnowsEveryEncodingTheProgramWrites(t *testing.T) {
	b := make([]byte, 8)
	rand.Read(b)
	secret := `p<w>&"d|` + "\t" + hex.EncodeToString(b) + `\end`
	r := &Redactor{}
	r.Add(secret)
	jsonOf := func(v any, html bool) string {
		var out strings.Builder
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(html)
		enc.Encode(v)
		return out.String()
	}
	var csvOut strings.Builder
	w := csv.NewWriter(&csvOut)
	w.Write([]string{"k", secret})
	w.Flush()
	for name, text := range map[string]string{
		"JSON with HTML escapes":    jsonOf(map[string]string{"k": secret}, true),
		"JSON without HTML escapes": jsonOf(map[string]string{"k": secret}, false),
		"JSON of JSON":              jsonOf(jsonOf(secret, true), true),
		"CSV":                       csvOut.String(),
		"a Markdown cell":           "| " + strings.NewReplacer("|", `\|`, "\n", " ").Replace(secret) + " |",
		"a terminal cell":           strings.NewReplacer("\t", `\t`).Replace(secret),
		"a URL query":               "https://x.test/?k=" + url.QueryEscape(secret),
		"a URL path":                "https://x.test/" + url.PathEscape(secret),
		"JSON of a URL":             jsonOf("https://x.test/?k="+url.QueryEscape(secret), true),
		"cut by a cell bound":       "| " + secret[:12] + "… |",
	} {
		got := r.Redact(text)
		if !strings.Contains(got, Redacted) || strings.Contains(got, hex.EncodeToString(b)[:6]) {
			t.Errorf("%s: %q is left as %q", name, text, got)
		}
	}
	// A value that merely starts like the secret is not a secret.
	if got := r.Redact("p<w… and more"); got != "p<w… and more" {
		t.Errorf("a short prefix was redacted: %q", got)
	}
}

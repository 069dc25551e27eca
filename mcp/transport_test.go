package mcp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/tools"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// startHTTP serves on a free loopback port and returns the /mcp URL.
func startHTTP(t *testing.T, token string) string {
	t.Helper()
	d := &tools.Deps{Dir: t.TempDir(), Getenv: func(string) string { return "" }, Keyring: secrets.NewKeyring(emptyStore{}, time.Second)}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ServeHTTP(ctx, New(d, Options{}), HTTPOptions{Addr: "127.0.0.1:0", Token: token, Ready: func(u string) { ready <- u }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && err != http.ErrServerClosed {
			t.Errorf("shutdown: %v", err)
		}
	})
	select {
	case u := <-ready:
		return u
	case err := <-done:
		t.Fatal(err)
	}
	return ""
}

func post(t *testing.T, url, host, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestHTTPTransport(t *testing.T) {
	u := startHTTP(t, "")
	if resp := post(t, u, "", ""); resp.StatusCode != 200 {
		t.Fatalf("initialize over HTTP: %s", resp.Status)
	}
	// DNS rebinding: a loopback request naming another host is refused.
	if resp := post(t, u, "evil.example.com", ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a rebinding Host header: %s", resp.Status)
	}
}

func TestHTTPTransportWithToken(t *testing.T) {
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	u := startHTTP(t, token)
	if resp := post(t, u, "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %s", resp.Status)
	}
	if resp := post(t, u, "", "wrong"+token); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %s", resp.Status)
	}
	if resp := post(t, u, "", token); resp.StatusCode != 200 {
		t.Fatalf("the token: %s", resp.Status)
	}
}

func TestHTTPRefusesTheNetworkWithoutAToken(t *testing.T) {
	d := &tools.Deps{Dir: t.TempDir(), Getenv: func(string) string { return "" }}
	err := ServeHTTP(context.Background(), New(d, Options{}), HTTPOptions{Addr: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "SECODA_WORKBENCH_MCP_TOKEN") {
		t.Fatalf("%v", err)
	}
}

package mcp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
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

// postBody posts body to url as an MCP client would (with the token, when given) and
// returns the status and the answer. A body of unknown length goes chunked.
func postBody(t *testing.T, url, token string, body io.Reader) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// padded is initBody grown with JSON whitespace to n bytes.
func padded(n int) string {
	return initBody[:len(initBody)-1] + strings.Repeat(" ", n-len(initBody)) + "}"
}

// TestHTTPRefusesAnOversizedBody: a body over MaxRequestBytes, of a declared length or
// chunked, is refused with 413 and a JSON-RPC error that says the limit; a body of the
// limit exactly, and a plain initialize, are served. Without the token the server
// reads no body at all: 401 whatever its size.
func TestHTTPRefusesAnOversizedBody(t *testing.T) {
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	u := startHTTP(t, token)
	over := padded(MaxRequestBytes + 1)
	for name, body := range map[string]func() io.Reader{
		"with its length": func() io.Reader { return strings.NewReader(over) },
		"chunked":         func() io.Reader { return io.MultiReader(strings.NewReader(over)) }, // a reader of unknown length
	} {
		status, answer := postBody(t, u, token, body())
		var rpc struct {
			JSONRPC string `json:"jsonrpc"`
			Error   struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(answer), &rpc); err != nil || status != http.StatusRequestEntityTooLarge || rpc.JSONRPC != "2.0" ||
			rpc.Error.Code != -32600 || !strings.Contains(rpc.Error.Message, fmt.Sprintf("%d MiB at most", MaxRequestBytes>>20)) {
			t.Errorf("a body over the limit, %s: %d %.300s (%v)", name, status, answer, err)
		}
	}
	if status, answer := postBody(t, u, token, strings.NewReader(padded(MaxRequestBytes))); status != http.StatusOK {
		t.Errorf("a body of the limit exactly: %d %.300s", status, answer)
	}
	if status, answer := postBody(t, u, token, strings.NewReader(initBody)); status != http.StatusOK || !strings.Contains(answer, `"serverInfo"`) {
		t.Errorf("initialize: %d %.300s", status, answer)
	}
	if status, _ := postBody(t, u, "", io.MultiReader(strings.NewReader(over))); status != http.StatusUnauthorized {
		t.Errorf("a body over the limit without the token: %d", status)
	}
}

// TestHTTPStreamsOutliveTheReadTimeout: the server's ReadTimeout bounds reading a
// request, not the SSE stream that answers it. A listening stream opened after
// initialize still delivers a notification sent well past the timeout (here made
// short).
func TestHTTPStreamsOutliveTheReadTimeout(t *testing.T) {
	d := &tools.Deps{Dir: t.TempDir(), Getenv: func(string) string { return "" }, Keyring: secrets.NewKeyring(emptyStore{}, time.Second)}
	s := New(d, Options{})
	h, mcpHandler := httpHandler(s, "")
	srv := httpServer(h)
	const timeout = 200 * time.Millisecond
	srv.ReadTimeout = timeout
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { mcpHandler.Shutdown(context.Background()); srv.Close() })
	u := "http://" + ln.Addr().String() + "/mcp"

	resp := post(t, u, "", "")
	session := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || session == "" {
		t.Fatalf("initialize: %s, session %q", resp.Status, session)
	}
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != 200 || !strings.HasPrefix(stream.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("the listening stream: %s %s", stream.Status, stream.Header.Get("Content-Type"))
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	time.Sleep(5 * timeout)
	s.SendNotificationToAllClients("notifications/message", map[string]any{"level": "info", "data": "still streaming"})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			if strings.Contains(line, "still streaming") {
				return
			}
		case <-deadline:
			t.Fatal("no notification on the stream")
		}
	}
}

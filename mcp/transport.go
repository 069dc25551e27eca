package mcp

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/secoda-workbench/secoda-workbench/internal/httpserve"
	"github.com/secoda-workbench/secoda-workbench/internal/loopback"
)

// ServeStdio speaks MCP on in and out until in closes or ctx ends. Only the protocol
// is written to out; anything else goes to errLog.
func ServeStdio(ctx context.Context, s *server.MCPServer, in io.Reader, out io.Writer, errLog io.Writer) error {
	srv := server.NewStdioServer(s)
	srv.SetErrorLogger(log.New(errLog, "secoda-workbench serve: ", log.LstdFlags))
	err := srv.Listen(ctx, in, out)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// HTTPOptions configure the streamable HTTP transport.
type HTTPOptions struct {
	Addr string // host:port; loopback unless Token is set
	// Token, when set, is the bearer token every request must carry; it is required to
	// listen anywhere but loopback.
	Token string
	// Ready, when set, is told the URL once the server listens.
	Ready func(url string)
}

// MaxRequestBytes bounds the body of a request to /mcp. A JSON-RPC request, even a
// tool call carrying SQL, is a few kilobytes; 4 MiB leaves room for any a client
// would send, and keeps a client from making the server hold an endless body.
const MaxRequestBytes = 4 << 20

// The server's timeouts. ReadTimeout bounds the reading of a request, headers and
// body: net/http lifts the read deadline once the body has been read, so it does not
// end a response streamed over SSE however long it lasts. IdleTimeout closes
// keep-alive connections left unused. There is no WriteTimeout: it would cut SSE
// streams and long tool calls.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 2 * time.Minute
)

// ServeHTTP speaks MCP over streamable HTTP at /mcp until ctx ends. mcp-go's
// protection against DNS rebinding stays on.
func ServeHTTP(ctx context.Context, s *server.MCPServer, opts HTTPOptions) error {
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return fmt.Errorf("--http %q: give host:port, such as 127.0.0.1:8765", opts.Addr)
	}
	if !loopback.Host(host) && opts.Token == "" {
		return fmt.Errorf("--http %s listens beyond this machine: set SECODA_WORKBENCH_MCP_TOKEN to a bearer token clients must send, or listen on 127.0.0.1", opts.Addr)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", opts.Addr, err)
	}
	h, mcpHandler := httpHandler(s, opts.Token)
	srv := httpServer(h)
	if opts.Ready != nil {
		opts.Ready("http://" + ln.Addr().String() + "/mcp")
	}
	return httpserve.Serve(ctx, srv, ln, mcpHandler.Shutdown)
}

// httpHandler is /mcp: the token first (a client without it makes the server read
// nothing), then the body limit, then mcp-go's streamable HTTP, which it also returns
// (its Shutdown ends the streams).
func httpHandler(s *server.MCPServer, token string) (http.Handler, *server.StreamableHTTPServer) {
	mcpHandler := server.NewStreamableHTTPServer(s, server.WithEndpointPath("/mcp"))
	mux := http.NewServeMux()
	mux.Handle("/mcp", requireToken(token, limitBody(MaxRequestBytes, mcpHandler)))
	return mux, mcpHandler
}

// httpServer serves h with the timeouts above.
func httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, IdleTimeout: idleTimeout}
}

// requireToken refuses requests without the bearer token, when there is one.
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="secoda-workbench"`)
			http.Error(w, "a bearer token is required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses, with 413, a request whose body is over limit bytes. mcp-go reads
// a POST's body whole and answers a failed read with a parse error, so the body is
// read here first, up to the limit, and handed on from memory.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		if r.Method == http.MethodPost && r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					tooLarge(w, limit)
					return
				}
				http.Error(w, "cannot read the request body: "+err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// tooLarge answers 413 with a JSON-RPC error (invalid request, no id: the body was not
// read) that says the limit.
func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"jsonrpc": "2.0",
		"id":      nil,
		"error": map[string]any{
			"code":    -32600,
			"message": fmt.Sprintf("request entity too large: the body of a request to /mcp may have %d MiB at most", limit>>20),
		},
	})
}

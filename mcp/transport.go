package mcp

import (
	"context"
	"crypto/subtle"
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
	mcpHandler := server.NewStreamableHTTPServer(s, server.WithEndpointPath("/mcp"))
	mux := http.NewServeMux()
	mux.Handle("/mcp", requireToken(opts.Token, mcpHandler))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if opts.Ready != nil {
		opts.Ready("http://" + ln.Addr().String() + "/mcp")
	}
	return httpserve.Serve(ctx, srv, ln, mcpHandler.Shutdown)
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

// Package httpserve runs an HTTP server until its context ends (Ctrl-C), then shuts it
// down gracefully: the one way `simulate`, `serve --http` and `show` stop.
package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ShutdownGrace is how long requests in flight get to finish once ctx ends.
const ShutdownGrace = 5 * time.Second

// Serve serves srv on ln until ctx ends, then calls each of before (to end streams the
// server cannot see) and shuts srv down. A shutdown that outlasts its grace is not an
// error: the program is stopping anyway.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, before ...func(context.Context) error) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
		defer cancel()
		for _, f := range before {
			_ = f(sctx)
		}
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	}
}

package httpserve

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestServeAnswersUntilCancelledThenStops(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })}
	ctx, cancel := context.WithCancel(context.Background())
	var called bool
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, srv, ln, func(context.Context) error { called = true; return errors.New("ignored") })
	}()
	url := "http://" + ln.Addr().String()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("body %q", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(ShutdownGrace + time.Second):
		t.Fatal("Serve did not return")
	}
	if !called {
		t.Fatal("the before-shutdown func was not called")
	}
	if _, err := http.Get(url); err == nil {
		t.Fatal("still answering")
	}
}

func TestServeReturnsTheServersError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := Serve(context.Background(), &http.Server{}, ln); err == nil {
		t.Fatal("serving a closed listener succeeded")
	}
}

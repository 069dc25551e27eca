//go:build linux

package memguard

import (
	"context"
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// foreignBytes is memory outside Go's heap, as C code takes it: an anonymous mapping,
// touched so that it is resident.
func foreignBytes(t *testing.T, n int) []byte {
	t.Helper()
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(b) })
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	return b
}

func TestWatchStopsWorkThatGrowsPastTheLimit(t *testing.T) {
	if _, err := Resident(); err != nil {
		t.Fatal(err)
	}
	ctx, stop := Watch(context.Background(), 64<<20)
	defer stop()
	taken := 0
	deadline := time.Now().Add(10 * time.Second)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		foreignBytes(t, 8<<20)
		taken += 8
		time.Sleep(2 * Interval)
	}
	if !errors.Is(context.Cause(ctx), ErrExceeded) {
		t.Fatalf("after %d MB more: cause %v", taken, context.Cause(ctx))
	}
	if taken > 64+8*4 {
		t.Errorf("stopped only after %d MB more, with a limit of 64 MB", taken)
	}
}

// TestWatchLeavesGoMemoryAndWorkWithinTheLimitAlone: Go's heap is the program's own
// to bound, and is not counted.
func TestWatchLeavesGoMemoryAndWorkWithinTheLimitAlone(t *testing.T) {
	ctx, stop := Watch(context.Background(), 64<<20)
	foreignBytes(t, 16<<20)
	var hold [][]byte
	for range 24 { // 192 MB of Go heap
		b := make([]byte, 8<<20)
		for i := range b {
			b[i] = 1
		}
		hold = append(hold, b)
	}
	time.Sleep(10 * Interval)
	if ctx.Err() != nil {
		t.Fatalf("cancelled within the limit: %v", context.Cause(ctx))
	}
	stop()
	if !errors.Is(context.Cause(ctx), context.Canceled) || errors.Is(context.Cause(ctx), ErrExceeded) {
		t.Fatalf("after stop: %v", context.Cause(ctx))
	}
	runtime.KeepAlive(hold)
}

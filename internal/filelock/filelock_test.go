package filelock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelperHold is not a test: the child that holds the lock for TestAnotherProcess.
func TestHelperHold(t *testing.T) {
	path := os.Getenv("FILELOCK_TEST_PATH")
	if path == "" {
		return
	}
	if _, err := Acquire(path); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("held\n")
	os.Stdin.Read(make([]byte, 1)) // until the parent closes stdin
}

func TestAcquireRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	l, err = Acquire(path)
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	l.Release()
}

func TestAnotherProcessHoldsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHold$")
	cmd.Env = append(os.Environ(), "FILELOCK_TEST_PATH="+path)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || !strings.HasPrefix(string(buf), "held") {
		t.Fatalf("the child did not take the lock: %q %v", buf, err)
	}
	_, err := Acquire(path)
	var he *HeldError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "process") {
		t.Fatalf("want a HeldError, got %v", err)
	}
	if he.PID != "" && !strings.Contains(err.Error(), he.PID) {
		t.Fatalf("%v does not name %s", err, he.PID)
	}
}

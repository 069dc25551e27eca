package main

import (
	"bufio"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// BenchmarkServeColdStart times `secoda-workbench serve` from exec to its answer to
// initialize over stdio: what an agent waits for when it starts the server.
func BenchmarkServeColdStart(b *testing.B) {
	bin := binary(b)
	dir := b.TempDir()
	for b.Loop() {
		cmd := exec.Command(bin, "serve")
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + dir}
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		io.WriteString(in, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`+"\n")
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.Contains(line, `"serverInfo"`) {
			b.Fatalf("%q %v", line, err)
		}
		in.Close()
		cmd.Wait()
	}
}

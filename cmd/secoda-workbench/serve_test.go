package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
	"github.com/secoda-workbench/secoda-workbench/tools"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds secoda-workbench once per test run, as a user would.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "secoda-workbench-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "secoda-workbench")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building the binary: %v", buildErr)
	}
	return binPath
}

// stdioServer starts `secoda-workbench serve` in dir, over stdio, as an agent does.
func stdioServer(t *testing.T, dir string, env []string) (*client.Client, *syncBuffer) {
	t.Helper()
	c, stderr, _ := stdioServerProcess(t, dir, env)
	return c, stderr
}

// stdioServerProcess is stdioServer with the server's process, to read its state (its
// peak memory) once the client is closed.
func stdioServerProcess(t *testing.T, dir string, env []string) (*client.Client, *syncBuffer, **exec.Cmd) {
	t.Helper()
	stderr := &syncBuffer{}
	var started *exec.Cmd
	c, err := client.NewStdioMCPClientWithOptions(binary(t), env, []string{"serve"},
		transport.WithCommandFunc(func(ctx context.Context, command string, env []string, args []string) (*exec.Cmd, error) {
			started = exec.CommandContext(ctx, command, args...)
			started.Env, started.Dir = env, dir
			return started, nil
		}),
		transport.WithCommandStderrWriter(stderr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	init := mcpgo.InitializeRequest{}
	init.Params.ProtocolVersion = mcpgo.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcpgo.Implementation{Name: "e2e", Version: "1"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v (stderr: %s)", err, stderr.String())
	}
	return c, stderr, &started
}

func callTool(ctx context.Context, c *client.Client, name string, args map[string]any) (*mcpgo.CallToolResult, error) {
	req := mcpgo.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(ctx, req)
}

func resultText(res *mcpgo.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcpgo.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// TestServeOverStdio drives the built binary as an MCP client would: initialize, list
// tools, scaffold, run, query, and the failing cases; the key shows up nowhere.
func TestServeOverStdio(t *testing.T) {
	b := make([]byte, 16)
	rand.Read(b)
	key := hex.EncodeToString(b)
	sim, _ := simulator.New(simulator.Options{Seed: 3, APIKeys: []string{key}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	dir := t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "SECODA_API_KEY=" + key, "SECODA_API_URL=" + srv.URL + "/api/v1"}
	c, stderr := stdioServer(t, dir, env)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	list, err := c.ListTools(ctx, mcpgo.ListToolsRequest{})
	if err != nil || len(list.Tools) != len(tools.All(&tools.Deps{})) {
		t.Fatalf("tools: %v, %d", err, len(list.Tools))
	}
	var responses []*mcpgo.CallToolResult
	must := func(name string, args map[string]any) *mcpgo.CallToolResult {
		t.Helper()
		res, err := callTool(ctx, c, name, args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		responses = append(responses, res)
		return res
	}
	if res := must("run_pipeline", nil); !res.IsError || !strings.Contains(resultText(res), "scaffold") {
		t.Fatalf("run before scaffold: %s", resultText(res))
	}
	if res := must("scaffold_config", map[string]any{"resources": []string{"resource_catalog", "integration"}}); res.IsError {
		t.Fatalf("scaffold: %s", resultText(res))
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, pipeline.ConfigFileName))
	os.WriteFile(filepath.Join(dir, pipeline.ConfigFileName), []byte(strings.Replace(string(cfg), "\nrate_limit = 60\n", "\nrate_limit = 0\n", 1)), 0o644)
	if res := must("run_pipeline", map[string]any{"max_pages": 1}); res.IsError || !strings.Contains(resultText(res), "is LOADED") {
		t.Fatalf("run: %s", resultText(res))
	}
	res := must("query_dataset", map[string]any{"sql": "select count(*) as n from resource_catalog", "format": "json"})
	if res.IsError || !strings.Contains(resultText(res), `"n":50`) {
		t.Fatalf("query: %s", resultText(res))
	}
	for _, sql := range []string{"DROP TABLE resource_catalog", "COPY (SELECT 1) TO '/tmp/secoda_serve_leak.csv'", "PRAGMA enable_profiling",
		"SELECT * FROM read_text('/etc/passwd')", "INSTALL httpfs"} {
		if res := must("query_dataset", map[string]any{"sql": sql}); !res.IsError {
			t.Errorf("%s ran: %s", sql, resultText(res))
		}
	}
	if _, err := os.Stat("/tmp/secoda_serve_leak.csv"); err == nil {
		t.Fatal("COPY wrote a file")
	}
	if res := must("get_table_schema", map[string]any{"table": "resource_catalogs"}); !res.IsError || !strings.Contains(resultText(res), "resource_catalog") {
		t.Fatalf("an unknown table: %s", resultText(res))
	}
	// A malformed call: the protocol answers, the server lives on.
	if _, err := callTool(ctx, c, "query_dataset", map[string]any{"sql": 42}); err == nil {
		if res := must("query_dataset", map[string]any{"sql": "select 1 as one"}); res.IsError {
			t.Fatalf("after a malformed call: %s", resultText(res))
		}
	}
	all, _ := json.Marshal(responses)
	if strings.Contains(string(all), key) || strings.Contains(stderr.String(), key) {
		t.Fatal("the key is in a response or on stderr")
	}
}

// TestCancelledRunLoadsNothing: an agent that cancels run_pipeline gets its server back
// and no half load.
func TestCancelledRunOverStdioLoadsNothing(t *testing.T) {
	b := make([]byte, 16)
	rand.Read(b)
	key := hex.EncodeToString(b)
	sim, _ := simulator.New(simulator.Options{Seed: 3, APIKeys: []string{key}, Faults: simulator.Faults{Latency: 300 * time.Millisecond}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, pipeline.ConfigFileName), []byte("[source]\nrate_limit = 0\n[resources.resource_catalog]\n"), 0o644)
	c, _ := stdioServer(t, dir, []string{"HOME=" + t.TempDir(), "SECODA_API_KEY=" + key, "SECODA_API_URL=" + srv.URL + "/api/v1"})
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	_, err := callTool(ctx, c, "run_pipeline", nil)
	cancel()
	if err == nil {
		t.Fatal("the run finished before it was cancelled")
	}
	// The server is still there, and nothing was loaded.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	res, err := callTool(ctx2, c, "list_tables", nil)
	if err != nil || !res.IsError || !strings.Contains(resultText(res), "run_pipeline") {
		t.Fatalf("after the cancel: %v %v", err, res)
	}
	// Uncancelled, the run would have finished within about 1.5 s; give it 3.
	time.Sleep(3 * time.Second)
	if _, err := os.Stat(filepath.Join(dir, "secoda.duckdb")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the cancelled run went on and loaded")
	}
}

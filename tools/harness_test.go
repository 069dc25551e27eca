package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/secoda-workbench/secoda-workbench/internal/objtest"
	"github.com/secoda-workbench/secoda-workbench/internal/pgtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// fixture is an empty project folder, a simulator, and Deps pointing at both, with the
// simulator's key in SECODA_API_KEY.
type fixture struct {
	d   *Deps
	key string
	env map[string]string
	sim *simulator.Server
	srv *httptest.Server
}

func newFixture(t testing.TB, opts simulator.Options) *fixture {
	t.Helper()
	b := make([]byte, 16)
	rand.Read(b)
	f := &fixture{key: hex.EncodeToString(b)}
	opts.APIKeys = []string{f.key}
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.sim = sim
	f.srv = httptest.NewServer(sim)
	t.Cleanup(f.srv.Close)
	f.env = map[string]string{"SECODA_API_KEY": f.key, "SECODA_API_URL": f.srv.URL + "/api/v1"}
	dir := t.TempDir()
	f.d = &Deps{Dir: dir, Getenv: func(k string) string { return f.env[k] }, Keyring: secrets.NewKeyring(&secretstest.MemStore{}, time.Second),
		Insecure: filepath.Join(dir, "insecure.toml"), Redactor: &secrets.Redactor{}}
	return f
}

// destination is the [destination] section of kind (filesystem; postgres: a database
// of its own on the PostgreSQL scripts/test provides, its password in the environment;
// s3: Parquet files in a bucket of its own on the S3 server scripts/test provides, the
// key's secret in the environment), and that secret.
func (f *fixture) destination(t testing.TB, kind string) (section, password string) {
	t.Helper()
	if kind == "s3" { // the filesystem destination in a bucket, its secret key in the environment
		b := objtest.New(t, objtest.S3)
		f.env[secrets.EnvDestinationPassword] = b.Password
		return "[destination]\ntype = \"filesystem\"\n" + b.Section + "\n", b.Password
	}
	if kind != "postgres" {
		return "[destination]\ntype = \"" + kind + "\"\n\n", ""
	}
	db := pgtest.Database(t)
	f.env[secrets.EnvDestinationPassword] = db.Password
	return fmt.Sprintf("[destination]\ntype = \"postgres\"\nurl = %q\n\n", db.URL), db.Password
}

// config writes a secoda_pipeline.toml that does not pace (the simulator has no limit).
func (f *fixture) config(t testing.TB, resources string) {
	t.Helper()
	cfg := "[source]\nrate_limit = 0\n\n" + resources
	if err := os.WriteFile(filepath.Join(f.d.Dir, pipeline.ConfigFileName), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loaded is a fixture with the default resources loaded.
func loaded(t testing.TB) *fixture {
	t.Helper()
	f := newFixture(t, simulator.Options{Seed: 4})
	f.config(t, "[resources.resource_catalog]\n[resources.document]\n[resources.collection]\n[resources.integration]\n")
	res := call(t, RunPipeline(f.d), nil)
	if res.IsError {
		t.Fatalf("run_pipeline: %s", text(res))
	}
	return f
}

// call runs a tool's handler as the server would, and checks that a successful
// result's structured content fits the tool's output schema.
func call(t testing.TB, tool Tool, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = tool.Def.Name
	req.Params.Arguments = args
	res, err := tool.Handler(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: protocol error %v", tool.Def.Name, err)
	}
	if !res.IsError {
		fitsOutputSchema(t, tool, res)
	}
	return res
}

// fitsOutputSchema fails the test when a result's structured content does not fit the
// tool's output schema, checked by mcp-go's own server with output validation on (a
// client that validates would refuse such a result: a nil slice is null, not []).
func fitsOutputSchema(t testing.TB, tool Tool, res *mcp.CallToolResult) {
	t.Helper()
	if res.StructuredContent == nil {
		return
	}
	checked := *res
	checked.IsError = false // error results are not checked; fitsOutputSchema checks them too
	s := server.NewMCPServer("schema-check", "0", server.WithOutputSchemaValidation())
	s.AddTool(tool.Def, func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) { return &checked, nil })
	msg, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": map[string]any{"name": tool.Def.Name}})
	resp, ok := s.HandleMessage(context.Background(), msg).(mcp.JSONRPCResponse)
	if !ok {
		t.Fatalf("%s: the schema check got no result", tool.Def.Name)
	}
	got, ok := resp.Result.(*mcp.CallToolResult)
	if !ok {
		t.Fatalf("%s: the schema check answered %T", tool.Def.Name, resp.Result)
	}
	if got.IsError {
		b, _ := json.Marshal(res.StructuredContent)
		t.Fatalf("%s: the structured result does not fit the output schema: %s\n%s", tool.Def.Name, text(got), b)
	}
}

// text is a result's text content.
func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// structured decodes a result's structured content into v.
func structured(t testing.TB, res *mcp.CallToolResult, v any) {
	t.Helper()
	if res.IsError {
		t.Fatalf("error result: %s", text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

// content decodes a result's structured content into v, error results included.
func content(t testing.TB, res *mcp.CallToolResult, v any) {
	t.Helper()
	if res.StructuredContent == nil {
		t.Fatalf("no structured content: %s", text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

// wantError checks a result is an error the agent can act on, saying each of want.
func wantError(t testing.TB, res *mcp.CallToolResult, want ...string) {
	t.Helper()
	if !res.IsError {
		t.Fatalf("want an error result, got %s", text(res))
	}
	for _, w := range want {
		if !strings.Contains(text(res), w) {
			t.Errorf("the error %q does not say %q", text(res), w)
		}
	}
}

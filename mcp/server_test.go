package mcp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/zalando/go-keyring"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/tools"
)

// emptyStore is a keyring with nothing in it.
type emptyStore struct{}

func (emptyStore) Get(string, string) (string, error) { return "", keyring.ErrNotFound }
func (emptyStore) Set(string, string, string) error   { return nil }
func (emptyStore) Delete(string, string) error        { return keyring.ErrNotFound }

// session is an in-process client of a server over an empty project folder and a
// simulator, with the simulator's key in the environment.
type session struct {
	c   *client.Client
	key string
	dir string
	sim *simulator.Server
}

func newSession(t *testing.T, opts Options) *session {
	t.Helper()
	b := make([]byte, 16)
	rand.Read(b)
	s := &session{key: hex.EncodeToString(b), dir: t.TempDir()}
	sim, err := simulator.New(simulator.Options{Seed: 9, APIKeys: []string{s.key}})
	if err != nil {
		t.Fatal(err)
	}
	s.sim = sim
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	env := map[string]string{"SECODA_API_KEY": s.key, "SECODA_API_URL": srv.URL + "/api/v1"}
	d := &tools.Deps{Dir: s.dir, Getenv: func(k string) string { return env[k] }, Keyring: secrets.NewKeyring(emptyStore{}, time.Second),
		Redactor: &secrets.Redactor{}}
	c, err := client.NewInProcessClient(New(d, opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcpgo.InitializeRequest{}
	init.Params.ProtocolVersion = mcpgo.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcpgo.Implementation{Name: "test", Version: "1"}
	res, err := c.Initialize(ctx, init)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerInfo.Name != Name || !strings.Contains(res.Instructions, "secoda-workbench secrets set") {
		t.Fatalf("initialize: %+v", res.ServerInfo)
	}
	s.c = c
	return s
}

func (s *session) call(t *testing.T, name string, args map[string]any) *mcpgo.CallToolResult {
	t.Helper()
	req := mcpgo.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := s.c.CallTool(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func textOf(res *mcpgo.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcpgo.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// TestScenarioFromAnEmptyFolder is the agent's path: credentials, a config, a load, a
// query; the key appears in no response.
func TestScenarioFromAnEmptyFolder(t *testing.T) {
	s := newSession(t, Options{})
	var all []*mcpgo.CallToolResult
	step := func(name string, args map[string]any) *mcpgo.CallToolResult {
		res := s.call(t, name, args)
		all = append(all, res)
		if res.IsError {
			t.Fatalf("%s: %s", name, textOf(res))
		}
		return res
	}
	step("inspect_credentials", nil)
	step("scaffold_config", map[string]any{"resources": []string{"resource_catalog", "collection"}})
	if _, err := os.Stat(filepath.Join(s.dir, pipeline.ConfigFileName)); err != nil {
		t.Fatal(err)
	}
	// The scaffold paces at 60 requests a minute; the simulator needs none.
	cfg, _ := os.ReadFile(filepath.Join(s.dir, pipeline.ConfigFileName))
	os.WriteFile(filepath.Join(s.dir, pipeline.ConfigFileName), []byte(strings.Replace(string(cfg), "\nrate_limit = 60\n", "\nrate_limit = 0\n", 1)), 0o644)
	run := step("run_pipeline", nil)
	if !strings.Contains(textOf(run), "is LOADED") {
		t.Fatalf("run_pipeline: %s", textOf(run))
	}
	q := step("query_dataset", map[string]any{"sql": "select count(*) as n from resource_catalog", "format": "json"})
	if !strings.Contains(textOf(q), `"n":201`) {
		t.Fatalf("query_dataset: %s", textOf(q))
	}
	b, _ := json.Marshal(all)
	if strings.Contains(string(b), s.key) {
		t.Fatal("the key is in a response")
	}
}

func TestToolsAreListedWithTheirHints(t *testing.T) {
	s := newSession(t, Options{})
	list, err := s.c.ListTools(context.Background(), mcpgo.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
		a := tool.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil {
			t.Errorf("%s lacks a hint: %+v", tool.Name, a)
		}
		if tool.OutputSchema.Type != "object" {
			t.Errorf("%s has no output schema", tool.Name)
		}
	}
	// Every tool of tools.All, the one list, and nothing else.
	var want []string
	for _, tool := range tools.All(&tools.Deps{}) {
		want = append(want, tool.Def.Name)
	}
	slices.Sort(names) // tools/list answers in name order
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("tools %v, want %v", names, want)
	}
	ro := newSession(t, Options{ReadOnly: true})
	list, _ = ro.c.ListTools(context.Background(), mcpgo.ListToolsRequest{})
	for _, tool := range list.Tools {
		if tool.Name == "run_pipeline" || tool.Name == "scaffold_config" {
			t.Fatalf("--read-only lists %s", tool.Name)
		}
	}
	if len(list.Tools) != len(want)-2 {
		t.Fatalf("--read-only lists %d tools", len(list.Tools))
	}
	res, err := ro.c.CallTool(context.Background(), mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: "run_pipeline"}})
	if err == nil && (res == nil || !res.IsError) {
		t.Fatal("--read-only ran run_pipeline")
	}
}

func TestResourcesAndPrompt(t *testing.T) {
	s := newSession(t, Options{})
	ctx := context.Background()
	read := func(uri string) (string, error) {
		req := mcpgo.ReadResourceRequest{}
		req.Params.URI = uri
		res, err := s.c.ReadResource(ctx, req)
		if err != nil {
			return "", err
		}
		return res.Contents[0].(mcpgo.TextResourceContents).Text, nil
	}
	eps, err := read("secoda-workbench://endpoints")
	if err != nil || !strings.Contains(eps, `"resource_catalog"`) {
		t.Fatalf("endpoints: %v", err)
	}
	if _, err := read("secoda-workbench://config"); err == nil || !strings.Contains(err.Error(), "scaffold_config") {
		t.Fatalf("config before scaffold: %v", err)
	}
	s.call(t, "scaffold_config", map[string]any{"resources": []string{"collection"}})
	if cfg, err := read("secoda-workbench://config"); err != nil || !strings.Contains(cfg, "[resources.collection]") {
		t.Fatalf("config: %v", err)
	}
	req := mcpgo.GetPromptRequest{}
	req.Params.Name = "load_secoda"
	req.Params.Arguments = map[string]string{"goal": "which tables have no owner"}
	p, err := s.c.GetPrompt(ctx, req)
	if err != nil || !strings.Contains(p.Messages[0].Content.(mcpgo.TextContent).Text, "which tables have no owner") {
		t.Fatalf("prompt: %v", err)
	}
}

// TestProgressAndCancel: run_pipeline reports progress to a caller that asks, and a
// cancelled call loads nothing.
func TestProgressNotifications(t *testing.T) {
	s := newSession(t, Options{})
	s.call(t, "scaffold_config", map[string]any{"resources": []string{"resource_catalog"}})
	cfg, _ := os.ReadFile(filepath.Join(s.dir, pipeline.ConfigFileName))
	os.WriteFile(filepath.Join(s.dir, pipeline.ConfigFileName), []byte(strings.Replace(string(cfg), "\nrate_limit = 60\n", "\nrate_limit = 0\n", 1)), 0o644)
	got := make(chan mcpgo.JSONRPCNotification, 100)
	s.c.OnNotification(func(n mcpgo.JSONRPCNotification) {
		if n.Method == "notifications/progress" {
			got <- n
		}
	})
	req := mcpgo.CallToolRequest{}
	req.Params.Name = "run_pipeline"
	req.Params.Meta = &mcpgo.Meta{ProgressToken: "p1"}
	res, err := s.c.CallTool(context.Background(), req)
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, textOf(res))
	}
	select {
	case n := <-got:
		if n.Params.AdditionalFields["progressToken"] != "p1" || !strings.Contains(n.Params.AdditionalFields["message"].(string), "pages") {
			t.Fatalf("notification %+v", n.Params.AdditionalFields)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no progress notification")
	}
}

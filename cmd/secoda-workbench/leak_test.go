package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// TestTheKeyAppearsNowhere runs every command, the failing ways included (a wrong key,
// Secoda's 401, no keyring, bad input), with a known key, and looks for it in every
// output, every file the program wrote, and every table of the dataset.
func TestTheKeyAppearsNowhere(t *testing.T) {
	ta, key := keyed(t)
	dir, _ := os.Getwd()
	ctx := context.Background()
	var outputs []string
	step := func(ta *testApp, stdin string, args ...string) {
		t.Helper()
		ta.stdin = stdin
		c, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		code, out, errOut := ta.run(c, args...)
		label := strings.ReplaceAll(strings.Join(args, " "), key, "KEY") // the test's own label, not output
		outputs = append(outputs, fmt.Sprintf("%s (exit %d)\n%s\n%s", label, code, out, errOut))
	}
	withEnv := &testApp{store: ta.store, insecure: ta.insecure, env: map[string]string{"SECODA_API_URL": ta.env["SECODA_API_URL"], "SECODA_API_KEY": key}}
	wrongEnv := &testApp{store: &secretstest.MemStore{}, insecure: ta.insecure, env: map[string]string{"SECODA_API_URL": ta.env["SECODA_API_URL"], "SECODA_API_KEY": key + "-wrong"}}
	noKeyring := &testApp{store: unavailableStore{}, insecure: ta.insecure, env: ta.env}
	leakyURL := &testApp{store: ta.store, insecure: ta.insecure, env: map[string]string{"SECODA_API_URL": ta.env["SECODA_API_URL"] + "?token=" + key}}

	step(ta, "", "version")
	step(ta, "", "endpoints", "--json")
	step(ta, key, "secrets", "set", key) // the wrong way: refused
	step(ta, key+"\n", "secrets", "set")
	step(ta, "", "secrets", "status")
	step(ta, "", "secrets", "status", "--json")
	step(ta, "", "validate", "--check-connection")
	step(ta, "", "run", "--max-pages", "1")
	step(ta, "", "run", "--json")
	step(ta, "", "query", "select * from resource_catalog limit 3", "--format", "json")
	// SQL that echoes the key, with the key loaded (from the environment): redacted.
	step(withEnv, "", "query", "select '"+key+"' as typed_by_hand")
	step(ta, "", "query", "drop table resource_catalog")
	step(ta, "", "status", "--json")
	step(withEnv, "", "run", "--full-refresh")
	step(withEnv, "", "secrets", "status")
	step(wrongEnv, "", "run")
	step(wrongEnv, "", "validate", "--check-connection")
	step(wrongEnv, "", "secrets", "status", "--json")
	step(noKeyring, key, "secrets", "set")
	step(noKeyring, "", "run")
	step(leakyURL, "", "run")
	step(ta, "", "demo", "--dir", filepath.Join(dir, "demo"))
	step(ta, "", "secrets", "delete")
	step(ta, "", "run")

	for _, o := range outputs {
		if strings.Contains(o[strings.IndexByte(o, '\n'):], key) {
			t.Fatalf("the key is in the output of %s", o)
		}
	}
	if !strings.Contains(strings.Join(outputs, ""), "[REDACTED]") {
		t.Fatal("nothing was redacted: the SELECT of the key never reached the output")
	}
	// Every file under the project, plain-text stores aside (they hold it on purpose;
	// none was made here).
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), key) {
			t.Errorf("the key is in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ta.insecure); err == nil {
		t.Error("a plain-text key file was written though no command asked for one")
	}
	// Every table of the dataset, every value as text.
	plan, err := pipeline.LoadConfig(pipeline.ConfigFileName)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := pipeline.OpenDestination(plan, "")
	if err != nil {
		t.Fatal(err)
	}
	counts, err := dst.TableRows(ctx)
	if err != nil || len(counts) < 5 {
		t.Fatalf("tables %v: %v", counts, err)
	}
	for table := range counts {
		res, err := dst.Query(ctx, fmt.Sprintf(`SELECT count(*) FROM %q t WHERE CAST(t AS VARCHAR) LIKE '%%%s%%'`, table, key), dest.Rows(1))
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows[0][0] != int64(0) {
			t.Errorf("the key is in table %s", table)
		}
	}
}

// TestTheKeyAppearsInNoEncoding: a key with characters that JSON, CSV, Markdown and
// URLs escape, selected back by SQL, is redacted in every output format of `query` and
// of the MCP tools (whose JSON escapes it on the wire).
func TestTheKeyAppearsInNoEncoding(t *testing.T) {
	b := make([]byte, 12)
	rand.Read(b)
	secret := hex.EncodeToString(b)
	key := `k<&>"|` + secret
	dir := loadedProject(t)
	env := map[string]string{"SECODA_API_KEY": key}
	sql := "SELECT '" + key + "' AS a, '" + key + "' || chr(10) || 'x' AS b, [ '" + key + "' ] AS c, {'k': '" + key + "'} AS d"
	var outputs []string
	for _, format := range []string{"table", "json", "csv"} {
		code, out, errOut := runCmd(context.Background(), env, "query", "--format", format, sql)
		if code != exitOK {
			t.Fatalf("query --format %s: exit %d %s", format, code, errOut)
		}
		outputs = append(outputs, "query --format "+format+"\n"+out+errOut)
	}
	c, _ := stdioServer(t, dir, append(os.Environ(), "SECODA_API_KEY="+key))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, format := range []string{"markdown", "json", "csv"} {
		res, err := callTool(ctx, c, "query_dataset", map[string]any{"sql": sql, "format": format})
		if err != nil || res.IsError {
			t.Fatalf("query_dataset %s: %v %s", format, err, resultText(res))
		}
		sc, _ := json.Marshal(res.StructuredContent)
		outputs = append(outputs, "query_dataset "+format+"\n"+resultText(res)+"\n"+string(sc))
	}
	for _, o := range outputs {
		if strings.Contains(o, secret) {
			t.Errorf("the key is in the output of %s", o)
		}
		if !strings.Contains(o, "[REDACTED]") {
			t.Errorf("nothing was redacted in %s", o)
		}
	}
}

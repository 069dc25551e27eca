package main

// The hostile-input suite's end-to-end half: the binary, as a careless agent or a
// hostile page drives it. The classes it covers, and the unit tests of each beside
// the code, are listed in the README's "Limits" section.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/tools"
)

// loadedProject is a project folder with the small workspace loaded into DuckDB.
// The binary is built first, in this package's folder.
func loadedProject(t *testing.T) string {
	t.Helper()
	binary(t)
	dir := inProject(t)
	env := simEnv(t)
	unpaced(t)
	if code, out, errOut := runCmd(context.Background(), env, "run"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	return dir
}

// hostileReads are queries an agent writes by mistake, each of which once took
// gigabytes: cross products, aggregates over them, a recursive CTE that fans out.
// ok is whether it can finish within the bounds (its LIMIT stops DuckDB early).
var hostileReads = []struct {
	name, sql string
	ok        bool
}{
	{"a four-way cross product", "SELECT * FROM resource_catalog a, resource_catalog b, resource_catalog c, resource_catalog d", true},
	{"a group of every triple", "SELECT a.id, b.id, c.id, count(*) FROM resource_catalog a, resource_catalog b, resource_catalog c GROUP BY ALL", false},
	{"string_agg over a cross product", "SELECT a.entity_type, string_agg(b.title || c.title, ',') FROM resource_catalog a, resource_catalog b, resource_catalog c GROUP BY 1", false},
	{"a list of a cross product", "SELECT list(a.title || b.title) FROM resource_catalog a, resource_catalog b, resource_catalog c", false},
	{"a recursive CTE that fans out", "WITH RECURSIVE r(i, s) AS (SELECT 1, 'x' UNION ALL SELECT i + 1, s || 'xx' FROM r, range(8) WHERE i < 30) SELECT count(*), max(length(s)) FROM r", false},
}

// peakMB is a finished process's peak resident memory.
func peakMB(t *testing.T, ps *os.ProcessState) int64 {
	t.Helper()
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage for the process")
	}
	return ru.Maxrss >> 10 // kB on Linux
}

// memoryBound is the most a process reading hostile SQL may reach: what it holds
// reading nothing (measured), plus the read limit and its slack.
func memoryBound(baseline int64) int64 {
	return baseline + (dest.DefaultReadMemory+dest.ReadMemorySlack)>>20
}

// checkHostileAnswer checks one hostile read's outcome: bounded rows, or an error that
// says which limit stopped it and what to do.
func checkHostileAnswer(t *testing.T, name string, ok bool, rows int, errText string) {
	t.Helper()
	switch {
	case ok && (errText != "" || rows != 3):
		t.Errorf("%s: want 3 rows, got %d (%s)", name, rows, errText)
	case !ok && !strings.Contains(errText, "more memory than a read may use") && !strings.Contains(errText, "time limit"):
		t.Errorf("%s: want the memory limit's error, got %d rows, %q", name, rows, errText)
	case !ok && strings.Contains(errText, "more memory") && !strings.Contains(errText, "filter or aggregate before joining"):
		t.Errorf("%s: the error says no next step: %q", name, errText)
	}
}

func TestHostileReadsFromTheCommandLineStayWithinTheReadMemory(t *testing.T) {
	dir := loadedProject(t)
	bin := binary(t)
	query := func(sql string) (string, string, *os.ProcessState) {
		cmd := exec.Command(bin, "query", "--format", "json", "--limit", "3", sql)
		cmd.Dir = dir
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		_ = cmd.Run()
		return out.String(), errOut.String(), cmd.ProcessState
	}
	_, _, ps := query("SELECT 1")
	baseline := peakMB(t, ps)
	bound := memoryBound(baseline)
	t.Logf("SELECT 1: %d MB at its peak; reads may take %d MB", baseline, bound)
	for _, h := range hostileReads {
		out, errOut, ps := query(h.sql)
		var rows []map[string]any
		if ps.Success() {
			if err := json.Unmarshal([]byte(out), &rows); err != nil {
				t.Fatalf("%s: %v\n%s", h.name, err, out)
			}
			errOut = ""
		}
		checkHostileAnswer(t, h.name, h.ok, len(rows), errOut)
		peak := peakMB(t, ps)
		if peak > bound {
			t.Errorf("%s: the process reached %d MB; reads may take %d MB", h.name, peak, bound)
		}
		t.Logf("%s: %d MB at its peak, %d rows, %.90s", h.name, peak, len(rows), errOut)
	}
}

func TestHostileReadsOverMCPStayWithinTheReadMemoryAndTheResultBounds(t *testing.T) {
	dir := loadedProject(t)
	c, _, started := stdioServerProcess(t, dir, os.Environ())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	call := func(sql string, limit int) *mcpgo.CallToolResult {
		t.Helper()
		res, err := callTool(ctx, c, "query_dataset", map[string]any{"sql": sql, "limit": limit})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return res
	}
	call("SELECT 1", 1)
	for _, h := range hostileReads {
		res := call(h.sql, 3)
		var out tools.QueryResult
		b, _ := json.Marshal(res.StructuredContent)
		errText := ""
		if res.IsError {
			errText = resultText(res)
		} else if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		checkHostileAnswer(t, h.name, h.ok, len(out.Rows), errText)
	}

	// Every part of a result is bounded: cells, rows and the whole payload.
	for _, big := range []struct{ name, sql string }{
		{"1,000 rows of 100 kB cells", "SELECT repeat('x', 100000) AS big FROM range(1000)"},
		{"a list of 2 million elements", "SELECT list(i) AS l FROM range(2000000) t(i)"},
		{"a struct of long strings", "SELECT {'a': repeat('y', 50000), 'b': repeat('z', 50000)} AS s FROM range(200)"},
		{"a wide row of wide cells", "SELECT " + wideColumns(200, 500) + " FROM range(1000)"},
		{"JSON of a megabyte", "SELECT to_json(list(repeat('q', 1000))) AS j FROM range(1000)"},
	} {
		res := call(big.sql, 1000)
		if res.IsError {
			t.Errorf("%s: %s", big.name, resultText(res))
			continue
		}
		b, _ := json.Marshal(res.StructuredContent)
		var out tools.QueryResult
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		if len(b) > tools.MaxStructured || len(resultText(res)) > tools.MaxText+200 {
			t.Errorf("%s: structured content of %d bytes, text of %d", big.name, len(b), len(resultText(res)))
		}
		if !out.Truncated && out.CutCells == 0 || !strings.Contains(out.More, "…") && out.CutCells > 0 {
			t.Errorf("%s: nothing says the result was bounded: truncated %v, cut %d, more %q", big.name, out.Truncated, out.CutCells, out.More)
		}
		for _, row := range out.Rows {
			for col, v := range row {
				if cell, _ := json.Marshal(v); len(cell) > tools.CellBytes+16 {
					t.Fatalf("%s: cell %s holds %d bytes", big.name, col, len(cell))
				}
			}
		}
	}
	c.Close()
	if *started == nil || (*started).ProcessState == nil {
		t.Fatal("the server's process did not end")
	}
	// The server holds its tools and the MCP runtime: allow it 64 MB past a query
	// process's baseline.
	peak, bound := peakMB(t, (*started).ProcessState), memoryBound(64+64)
	if peak > bound {
		t.Errorf("the server reached %d MB; reads may take %d MB", peak, bound)
	}
	t.Logf("the MCP server: %d MB at its peak over every query", peak)
}

// wideColumns is n columns of m characters each.
func wideColumns(n, m int) string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = fmt.Sprintf("repeat('w', %d) AS c%d", m, i)
	}
	return strings.Join(cols, ", ")
}

func TestHostileReadsThroughTheDashboardStayWithinTheReadMemory(t *testing.T) {
	dir := loadedProject(t)
	cmd := exec.Command(binary(t), "show", "--no-browser")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(line, "http://")
	if start < 0 {
		t.Fatalf("no URL in %q", line)
	}
	page := strings.TrimSpace(line[start:])
	origin := page[:strings.Index(page[len("http://"):], "/")+len("http://")]
	token := page[strings.Index(page, "token=")+len("token="):]
	post := func(sql string) (int, map[string]any) {
		body, _ := json.Marshal(map[string]string{"sql": sql})
		req, _ := http.NewRequest("POST", origin+"/api/query?token="+token, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		b, _ := io.ReadAll(res.Body)
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v: %s", sql, err, b)
		}
		return res.StatusCode, out
	}
	if code, out := post("SELECT 1"); code != http.StatusOK {
		t.Fatalf("SELECT 1: %d %v", code, out)
	}
	for _, h := range hostileReads {
		code, out := post(h.sql)
		rows, _ := out["rows"].([]any)
		errText, _ := out["error"].(string)
		if code == http.StatusOK && h.ok {
			// The dashboard's answers are 500 rows and 1 MB at most: the cross product is
			// cut there.
			if len(rows) == 0 || len(rows) > 500 || out["truncated"] != true {
				t.Errorf("%s: %d rows, truncated %v", h.name, len(rows), out["truncated"])
			}
			continue
		}
		checkHostileAnswer(t, h.name, h.ok, len(rows), errText)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("show did not stop on SIGTERM")
	}
	peak, bound := peakMB(t, cmd.ProcessState), memoryBound(64+64)
	if peak > bound {
		t.Errorf("the dashboard reached %d MB; reads may take %d MB", peak, bound)
	}
	t.Logf("the dashboard: %d MB at its peak over every query", peak)
}

// TestSignalsStopAQueryPromptly: a query that would run for hours stops at SIGTERM or
// Ctrl-C (SIGINT) within moments, and the dataset is as it was.
func TestSignalsStopAQueryPromptly(t *testing.T) {
	dir := loadedProject(t)
	before, err := os.ReadFile(filepath.Join(dir, "secoda.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		cmd := exec.Command(binary(t), "query", "SELECT count(*) FROM range(1000000000000) a, resource_catalog b")
		cmd.Dir = dir
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		sent := time.Now()
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: the query went on for 5 s", sig)
		}
		if cmd.ProcessState.Success() {
			t.Errorf("%v: the query exited 0: %s", sig, errOut.String())
		}
		t.Logf("%v: stopped %v after the signal, exit %d", sig, time.Since(sent).Round(time.Millisecond), cmd.ProcessState.ExitCode())
	}
	after, err := os.ReadFile(filepath.Join(dir, "secoda.duckdb"))
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("the DuckDB file changed under a read (%v)", err)
	}
}

package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// limitExample writes a config that sets the setting of a Limit to value (a TOML
// value; for a Count, the number of entries), and names the key the error is at.
var limitExamples = map[string]func(value string) (config, key string){
	"pipeline.name": func(v string) (string, string) {
		return "[pipeline]\nname = " + v + "\n[resources.tag]\n", "pipeline.name"
	},
	"pipeline.dataset_name": func(v string) (string, string) {
		return "[pipeline]\ndataset_name = " + v + "\n[resources.tag]\n", "pipeline.dataset_name"
	},
	"pipeline.schema_name": func(v string) (string, string) {
		return "[pipeline]\nschema_name = " + v + "\n[resources.tag]\n", "pipeline.schema_name"
	},
	"destination.type": func(v string) (string, string) {
		return "[destination]\ntype = " + v + "\n[resources.tag]\n", "destination.type"
	},
	"destination.path": func(v string) (string, string) {
		return "[destination]\npath = " + v + "\n[resources.tag]\n", "destination.path"
	},
	"destination.url": func(v string) (string, string) {
		return "[destination]\ntype = \"postgres\"\nurl = " + v + "\n[resources.tag]\n", "destination.url"
	},
	"destination.bucket_url": func(v string) (string, string) {
		return "[destination]\ntype = \"filesystem\"\nbucket_url = " + v + "\n[resources.tag]\n", "destination.bucket_url"
	},
	"destination.endpoint_url": func(v string) (string, string) {
		return "[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://b/p\"\nendpoint_url = " + v + "\n[resources.tag]\n", "destination.endpoint_url"
	},
	"destination.region": func(v string) (string, string) {
		return "[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://b/p\"\nregion = " + v + "\n[resources.tag]\n", "destination.region"
	},
	"destination.aws_access_key_id": func(v string) (string, string) {
		return "[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://b/p\"\naws_access_key_id = " + v + "\n[resources.tag]\n", "destination.aws_access_key_id"
	},
	"destination.account_name": func(v string) (string, string) {
		return "[destination]\ntype = \"filesystem\"\nbucket_url = \"az://c/p\"\naccount_name = " + v + "\n[resources.tag]\n", "destination.account_name"
	},
	"destination.cache_max_mb": func(v string) (string, string) {
		return "[destination]\ntype = \"filesystem\"\nbucket_url = \"gs://b/p\"\ncache_max_mb = " + v + "\n[resources.tag]\n", "destination.cache_max_mb"
	},
	"destination.read_memory_mb": func(v string) (string, string) {
		return "[destination]\nread_memory_mb = " + v + "\n[resources.tag]\n", "destination.read_memory_mb"
	},
	"source.base_url":           sourceExample("base_url"),
	"source.rate_limit":         sourceExample("rate_limit"),
	"source.concurrency":        sourceExample("concurrency"),
	"source.detail_concurrency": sourceExample("detail_concurrency"),
	"source.catalog_cap":        sourceExample("catalog_cap"),
	"resources": func(v string) (string, string) {
		n, _ := strconv.Atoi(v)
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "[resources.t%d]\nendpoint = \"tag\"\n", i)
		}
		return b.String(), "resources"
	},
	"resources.<table>": func(v string) (string, string) {
		name, _ := strconv.Unquote(v)
		return "[resources." + name + "]\nendpoint = \"tag\"\n", "resources." + name
	},
	"resources.<table>.endpoint": func(v string) (string, string) {
		return "[resources.x]\nendpoint = " + v + "\n", "resources.x.endpoint"
	},
	"resources.<table>.write_disposition": resourceExample("document", "write_disposition"),
	"resources.<table>.primary_key":       resourceExample("document", "primary_key"),
	"resources.<table>.incremental":       resourceExample("document", "incremental"),
	"resources.<table>.filter":            resourceExample("resource_catalog", "filter"),
	"resources.<table>.sort":              resourceExample("resource_catalog", "sort"),
	"resources.<table>.params": func(v string) (string, string) {
		n, _ := strconv.Atoi(v)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("p%d = \"x\"", i)
		}
		return "[resources.team]\nparams = { " + strings.Join(parts, ", ") + " }\n", "resources.team.params"
	},
	"resources.<table>.params.<name>": func(v string) (string, string) {
		return "[resources.team]\nparams = { include_archived = " + v + " }\n", "resources.team.params.include_archived"
	},
	"notify.format":          notifyExample("format"),
	"notify.timeout_seconds": notifyExample("timeout_seconds"),
	"notify.retries":         notifyExample("retries"),
	"notify.on": func(v string) (string, string) {
		n, _ := strconv.Atoi(v)
		events := make([]string, n)
		for i := range events {
			events[i] = strconv.Quote([]string{"failure", "incomplete", "recovery"}[i%3])
		}
		return "[notify]\non = [" + strings.Join(events, ", ") + "]\n[resources.tag]\n", "notify.on"
	},
	"resources.<table>.page_cap":          resourceExample("document", "page_cap"),
	"resources.<table>.schema_contract":   resourceExample("document", "schema_contract"),
	"resources.<table>.max_table_nesting": resourceExample("document", "max_table_nesting"),
}

// notInTheConfig are the Limits of the file itself and of options: tested on their own.
var notInTheConfig = map[string]bool{ConfigFileName: true, LimitMaxPages.Key: true, LimitQueryRows.Key: true}

func sourceExample(key string) func(string) (string, string) {
	return func(v string) (string, string) {
		return "[source]\n" + key + " = " + v + "\n[resources.tag]\n", "source." + key
	}
}

func notifyExample(key string) func(string) (string, string) {
	return func(v string) (string, string) {
		return "[notify]\n" + key + " = " + v + "\n[resources.tag]\n", "notify." + key
	}
}

func resourceExample(table, key string) func(string) (string, string) {
	return func(v string) (string, string) {
		return "[resources." + table + "]\n" + key + " = " + v + "\n", "resources." + table + "." + key
	}
}

// rangeErrors are the errors at key that name the limit's range.
func rangeErrors(err error, key string, l Limit) []*ConfigError {
	var out []*ConfigError
	for _, e := range allConfigErrors(err) {
		if e.Key == key && strings.Contains(e.Message, l.Range()) {
			out = append(out, e)
		}
	}
	return out
}

func allConfigErrors(err error) []*ConfigError {
	var many ConfigErrors
	if errors.As(err, &many) {
		return many
	}
	var one *ConfigError
	if errors.As(err, &one) {
		return []*ConfigError{one}
	}
	return nil
}

// TestEveryLimitIsEnforced: for each setting of Limits, a value just past its range is
// refused at its line, naming the range and why, and one at the edge of it is not; a
// long string is never repeated.
func TestEveryLimitIsEnforced(t *testing.T) {
	for _, l := range Limits {
		if notInTheConfig[l.Key] {
			continue
		}
		example, ok := limitExamples[l.Key]
		if !ok {
			t.Errorf("%s: no example in limitExamples: add one, so that the limit is seen enforced", l.Key)
			continue
		}
		t.Run(l.Key, func(t *testing.T) {
			var inside, outside []string
			switch l.Kind {
			case Length:
				inside = []string{tomlString(strings.Repeat("a", int(l.Max)))}
				outside = []string{tomlString(strings.Repeat("a", int(l.Max)+1))}
			case Count:
				inside = []string{strconv.Itoa(int(l.Max))}
				outside = []string{strconv.Itoa(int(l.Max) + 1)}
			case Number:
				inside = []string{formatTOMLNumber(l.Min), formatTOMLNumber(l.Max)}
				outside = []string{formatTOMLNumber(l.Max + 1), "-1"}
				if l.Min > 1 || l.Min == 1 && l.Zero == "" {
					outside = append(outside, formatTOMLNumber(l.Min-1))
				}
				if l.Zero != "" {
					inside = append(inside, "0")
				}
			}
			for _, v := range inside {
				src, key := example(v)
				_, err := ParseConfig(ConfigFileName, []byte(src))
				if got := rangeErrors(err, key, l); len(got) > 0 {
					t.Errorf("%.40s… is within the range, but: %v", v, got[0])
				}
			}
			for _, v := range outside {
				src, key := example(v)
				_, err := ParseConfig(ConfigFileName, []byte(src))
				got := rangeErrors(err, key, l)
				if len(got) != 1 {
					t.Errorf("%.40s… is outside the range: want one error at %s naming %q, got %v", v, key, l.Range(), err)
					continue
				}
				if got[0].Line == 0 || !strings.Contains(got[0].Message, l.Why) {
					t.Errorf("%.40s…: the error has no line or does not say why: %v", v, got[0])
				}
			}
			if l.Kind == Length {
				long := strings.Repeat("b", 200_000)
				src, _ := example(tomlString(long))
				_, err := ParseConfig(ConfigFileName, []byte(src))
				if err == nil || strings.Contains(err.Error(), strings.Repeat("b", 200)) || len(err.Error()) > 2000 {
					t.Errorf("a 200,000-byte value: the error repeats it, or is %d bytes: %.300v", len(fmt.Sprint(err)), err)
				}
			}
		})
	}
}

func formatTOMLNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// TestEverySettingHasALimit: every key of Config that takes a string, a number, a table
// of entries or a JSON value has a range in Limits, of the kind its type takes.
func TestEverySettingHasALimit(t *testing.T) {
	var walk func(path tomlPath, typ reflect.Type, named bool)
	want := func(path tomlPath, kind LimitKind) {
		l, ok := limitAt(path)
		if !ok {
			t.Errorf("%s has no Limit: add it to Limits", strings.Join(path, "."))
		} else if l.Kind != kind {
			t.Errorf("%s: its Limit bounds kind %d, want %d", strings.Join(path, "."), l.Kind, kind)
		}
	}
	walk = func(path tomlPath, typ reflect.Type, named bool) {
		switch typ.Kind() {
		case reflect.Pointer:
			walk(path, typ.Elem(), named)
		case reflect.Map:
			want(path, Count)
			walk(path.child("<name>"), typ.Elem(), true)
		case reflect.Struct:
			if named {
				want(path, Length) // a [resources.<table>]'s name
			}
			names, index := tomlFields(typ)
			for _, n := range names {
				walk(path.child(n), typ.Field(index[n]).Type, false)
			}
		case reflect.String, reflect.Interface:
			want(path, Length)
		case reflect.Int, reflect.Float64:
			want(path, Number)
		}
	}
	walk(nil, reflect.TypeFor[Config](), false)
	for _, l := range Limits {
		if l.Why == "" || l.Max <= 0 || l.Kind == Number && l.Min > l.Max {
			t.Errorf("%s: say why, and give a range: %+v", l.Key, l)
		}
	}
}

// TestTheConfigFileIsReadBounded: a file past the limit is refused saying so, and is
// read no further than the limit: a pipe that never ends is refused too.
func TestTheConfigFileIsReadBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.toml")
	data := "[resources.tag]\n" + strings.Repeat("# a comment to pad the file out\n", int(LimitConfigFile.Max)/32+1)
	if err := os.WriteFile(big, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(big); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Fatalf("a 1 MiB file: %v", err)
	}
	if _, err := ParseConfig(ConfigFileName, []byte(data)); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Fatalf("ParseConfig of 1 MiB: %v", err)
	}

	fifo := filepath.Join(dir, ConfigFileName)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	go func() { // 2 MiB, and the pipe kept open: only a bounded read ends
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		w.Write([]byte(strings.Repeat("#\n", 1<<20)))
		time.Sleep(30 * time.Second)
	}()
	done := make(chan error, 1)
	go func() { _, err := LoadConfig(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a pipe of 2 MiB was taken as a config")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LoadConfig read a pipe that does not end for 10 s: the read is not bounded")
	}
}

// TestManyProblemsAreCut: a file with thousands of problems reports the first ones and
// how many more, not a line for each.
func TestManyProblemsAreCut(t *testing.T) {
	var b strings.Builder
	b.WriteString("[resources.tag]\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "unknown_%d = 1\n", i)
	}
	_, err := ParseConfig(ConfigFileName, []byte(b.String()))
	errs := allConfigErrors(err)
	if len(errs) != maxProblems+1 || !strings.Contains(errs[maxProblems].Message, "and 4950 more problems") {
		t.Fatalf("%d problems reported; the last: %v", len(errs), errs[len(errs)-1])
	}
	if errs[0].Line != 2 || errs[maxProblems-1].Line != maxProblems+1 {
		t.Fatalf("not the first problems: lines %d to %d", errs[0].Line, errs[maxProblems-1].Line)
	}
}

// TestALongKeyIsNamedByItsStart: a key far too long is named by its first bytes, in
// the key and in the message, and nothing else is said about it.
func TestALongKeyIsNamedByItsStart(t *testing.T) {
	long := strings.Repeat("k", 100_000)
	for _, src := range []string{
		"[resources." + long + "]\nendpoint = \"tag\"\n",
		"[resources.tag]\n" + long + " = 1\n",
		"[" + long + "]\n[resources.tag]\n",
		"[resources.team]\nparams = { " + long + " = \"x\" }\n",
	} {
		_, err := ParseConfig(ConfigFileName, []byte(src))
		if err == nil || len(err.Error()) > 1000 {
			t.Errorf("%.30s…: %d bytes of error", src, len(fmt.Sprint(err)))
		}
	}
}

// TestRunOptionsAreBounded: Run refuses max pages and resource lists past their limits
// before it does anything.
func TestRunOptionsAreBounded(t *testing.T) {
	plan := mustParseText(t, "[resources.tag]\n")
	plan.Dir = t.TempDir()
	for _, opts := range []RunOptions{{MaxPages: -1}, {MaxPages: int(LimitMaxPages.Max) + 1}, {Resources: make([]string, int(LimitResources.Max)+1)}} {
		_, err := Run(t.Context(), plan, opts)
		if err == nil || !strings.Contains(err.Error(), "at most 256") && !strings.Contains(err.Error(), LimitMaxPages.Range()) {
			t.Errorf("%+v: %v", opts, err)
		}
		if _, err := os.Stat(filepath.Join(plan.Dir, WorkDirName)); err == nil {
			t.Errorf("%+v: the run made its work folder before refusing", opts)
		}
	}
	long := strings.Repeat("r", 10_000)
	if _, err := Run(t.Context(), plan, RunOptions{Resources: []string{long}}); err == nil || strings.Contains(err.Error(), long[:200]) {
		t.Errorf("an unknown resource of 10,000 bytes: %.300v", err)
	}
}

func TestLimitsMarkdownListsEveryLimit(t *testing.T) {
	md := LimitsMarkdown()
	for _, l := range Limits {
		if !strings.Contains(md, l.Range()) || !strings.Contains(md, l.Why) {
			t.Errorf("the table lacks %s", l.Key)
		}
	}
	if !strings.Contains(md, "| `source.detail_concurrency` | 1 to 64 requests |") {
		t.Errorf("the table:\n%s", md)
	}
}

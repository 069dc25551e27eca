package pipeline

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// Reading secoda_pipeline.toml happens in three steps, so that one run reports every
// problem of the file with its line, not only the first:
//  1. go-toml parses the text into generic values (a syntax error stops here);
//  2. the unstable parser of go-toml walks the same text for the position of every key
//     and value, and the order of the [resources.*] tables;
//  3. a small decoder fills Config from the generic values, driven by Config's own toml
//     tags (the one schema), and collects unknown keys and wrong types instead of
//     stopping; resolve then checks the values and fills the defaults into a Plan.

// secretMessage is what a key that looks like a credential gets. It never repeats the
// value.
const secretMessage = ConfigFileName + " must not hold a secret: remove it and run " +
	"`secoda-workbench secrets set` (or set " + secoda.EnvAPIKey + ")"

// notifyURLMessage refuses a webhook URL in the file: whoever has it can post to the channel.
const notifyURLMessage = "the webhook's URL is a secret (whoever has it can post to the channel): remove it from " + ConfigFileName +
	" and run `secoda-workbench secrets set --notify`, or set " + secrets.EnvNotifyURL + " where the pipeline runs"

// ConfigError is one problem in secoda_pipeline.toml and where it is.
type ConfigError struct {
	// File is the config's path as given to LoadConfig or ParseConfig.
	File string
	// Line and Column are 1-based (Column counts bytes); 0 when unknown.
	Line, Column int
	// Key is the dotted key the problem is about, e.g. resources.document.page_cap;
	// "" for the whole file.
	Key     string
	Message string

	err error // the cause, for errors.Is (os.ErrNotExist for a missing file)
}

// Error reads file:line:column: key: message, as compilers print it, so that editors
// and people find the line.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns the cause, if any.
func (e *ConfigError) Unwrap() error { return e.err }

// ConfigErrors are all the problems of one file, when there is more than one.
type ConfigErrors []*ConfigError

// Error lists the problems one to a line, by position.
func (es ConfigErrors) Error() string {
	sorted := slices.Clone(es)
	sortConfigErrors(sorted)
	lines := make([]string, len(sorted))
	for i, e := range sorted {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *ConfigError.
func (es ConfigErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func sortConfigErrors(es []*ConfigError) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Column < es[j].Column
	})
}

// LoadConfig reads the config at path (secoda_pipeline.toml), checks it and returns
// the plan it describes, every default filled in. Problems come back as a
// *ConfigError, or ConfigErrors when there are several; a missing file is a
// *ConfigError that wraps os.ErrNotExist.
func LoadConfig(path string) (*Plan, error) {
	data, err := readBounded(path, int64(LimitConfigFile.Max))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &ConfigError{File: path, Message: "the file is missing: run `secoda-workbench scaffold` to write one", err: err}
		}
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err
		}
		return nil, &ConfigError{File: path, Message: "cannot read the file: " + cause.Error(), err: err}
	}
	return ParseConfig(path, data)
}

// readBounded reads the config, a regular file inside the project (openConfigFile:
// a link out, a named pipe or a device is refused unopened), but no more than max+1
// bytes of it: the caller refuses a longer one without the rest being read.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := openConfigFile(path) // projectfs's rule: no link out, no named pipe (configfile.go)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}

// maxProblems bounds the problems reported of one file: a file of a million unknown
// keys gets the first ones, not a million lines.
const maxProblems = 50

// ParseConfig checks the text of a config and returns its plan. file names the config
// in messages (as given) and places it: Plan.File is its absolute path, and the
// destination path is resolved against its folder.
func ParseConfig(file string, data []byte) (*Plan, error) {
	if file == "" {
		file = ConfigFileName
	}
	if len(data) > int(LimitConfigFile.Max) {
		return nil, &ConfigError{File: file, Message: fmt.Sprintf("the file is larger than %s, the most a config takes: it holds settings, not data",
			formatBytes(LimitConfigFile.Max))}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // editors on Windows write a BOM
	raw, idx, err := parseTOML(file, data)
	if err != nil {
		return nil, err
	}
	d := &configDecoder{file: file, idx: idx, set: map[string]bool{}, refused: map[string]bool{}}
	var cfg Config
	d.decodeStruct(nil, raw, reflect.ValueOf(&cfg).Elem())
	plan := d.resolve(&cfg, raw)
	switch len(d.errs) {
	case 0:
		return plan, nil
	case 1:
		return nil, d.errs[0]
	}
	sortConfigErrors(d.errs)
	if n := len(d.errs); n > maxProblems {
		d.errs = append(d.errs[:maxProblems], &ConfigError{File: file, Line: d.errs[maxProblems].Line,
			Message: fmt.Sprintf("and %d more problems: fix these first", n-maxProblems)})
	}
	return nil, ConfigErrors(d.errs)
}

// parseTOML parses the text into generic values and indexes where each key is. The
// parser is a library reading untrusted text: a panic in it becomes an error.
func parseTOML(file string, data []byte) (raw map[string]any, idx keyIndex, err error) {
	defer func() {
		if r := recover(); r != nil {
			raw, idx = nil, nil
			err = &ConfigError{File: file, Message: fmt.Sprintf("the TOML parser failed on this file: %v", r)}
		}
	}()
	if err := toml.Unmarshal(data, &raw); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, nil, &ConfigError{File: file, Line: line, Column: col, Key: tomlPath(de.Key()).String(),
				Message: "TOML syntax: " + strings.TrimPrefix(de.Error(), "toml: "), err: err}
		}
		return nil, nil, &ConfigError{File: file, Message: "TOML syntax: " + err.Error(), err: err}
	}
	if raw == nil {
		raw = map[string]any{}
	}
	idx, err = indexKeys(data)
	if err != nil {
		ce := &ConfigError{File: file, Message: "TOML syntax: " + err.Error(), err: err}
		var pe *unstable.ParserError
		if errors.As(err, &pe) && pe.Highlight != nil {
			ce.Line, ce.Column = lineCol(data, cap(data)-cap(pe.Highlight))
		}
		return nil, nil, ce
	}
	return raw, idx, nil
}

// tomlPath is a key's place in the document; an array element is a part made by
// indexPart.
type tomlPath []string

const indexMark = "\x01"

func indexPart(i int) string { return indexMark + strconv.Itoa(i) }

func (p tomlPath) child(parts ...string) tomlPath {
	out := make(tomlPath, 0, len(p)+len(parts))
	return append(append(out, p...), parts...)
}

func (p tomlPath) id() string { return strings.Join(p, "\x00") }

// String writes the path as a dotted TOML key, quoting parts that need it and
// writing array elements as [i].
func (p tomlPath) String() string {
	var b strings.Builder
	for i, part := range p {
		if n, ok := strings.CutPrefix(part, indexMark); ok {
			b.WriteString("[" + n + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if isBareKey(part) {
			b.WriteString(part)
		} else {
			b.WriteString(tomlString(part))
		}
	}
	return b.String()
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// textPos is a 1-based line and byte column.
type textPos struct{ line, col int }

// keySpot is where a key and its value are, and the offset of the key's first
// appearance (which orders the resources).
type keySpot struct {
	key, value textPos
	offset     int
}

// keyIndex maps tomlPath.id() to where the key is.
type keyIndex map[string]*keySpot

func lineCol(data []byte, offset int) (line, col int) {
	offset = min(max(offset, 0), len(data))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	return line, offset - (bytes.LastIndexByte(before, '\n') + 1) + 1
}

// indexKeys walks the document with go-toml's unstable parser and records where every
// key and value is. A table's value is where its header (or first dotted key) names
// it; an inline table's is its brace.
func indexKeys(data []byte) (keyIndex, error) {
	ix := &keyIndexer{idx: keyIndex{}, arrays: map[string]int{}, lineStarts: []int{0}}
	for i, c := range data {
		if c == '\n' {
			ix.lineStarts = append(ix.lineStarts, i+1)
		}
	}
	ix.p.Reset(data)
	var table tomlPath
	for ix.p.NextExpression() {
		e := ix.p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, spots := ix.keyParts(e.Key())
			table = nil
			for i, part := range parts {
				table = table.child(part)
				ix.add(table, spots[i], spots[i])
			}
			if e.Kind == unstable.ArrayTable && len(spots) > 0 {
				n := ix.arrays[table.id()]
				ix.arrays[table.id()]++
				table = table.child(indexPart(n))
				ix.add(table, spots[len(spots)-1], spots[len(spots)-1])
			}
		case unstable.KeyValue:
			ix.keyValue(table, e)
		}
	}
	return ix.idx, ix.p.Error()
}

// keyIndexer builds a keyIndex from the unstable parser's expressions.
type keyIndexer struct {
	p      unstable.Parser
	idx    keyIndex
	arrays map[string]int // [[array.tables]] seen so far
	// lineStarts are the offsets where lines begin, so that placing a node does not
	// rescan the text before it.
	lineStarts []int
}

// nodeSpot is where a node starts: its position and byte offset.
type nodeSpot struct {
	pos    textPos
	offset int
}

func (ix *keyIndexer) spotOf(n *unstable.Node) nodeSpot {
	offset := int(n.Raw.Offset)
	line := sort.SearchInts(ix.lineStarts, offset+1) // the first line starting after offset
	return nodeSpot{textPos{line, offset - ix.lineStarts[line-1] + 1}, offset}
}

func (ix *keyIndexer) keyParts(it unstable.Iterator) ([]string, []nodeSpot) {
	var parts []string
	var spots []nodeSpot
	for it.Next() {
		n := it.Node()
		parts = append(parts, string(n.Data))
		spots = append(spots, ix.spotOf(n))
	}
	return parts, spots
}

// add records a key the first time it appears; later appearances (a table's header
// after a dotted key made it, say) keep the first.
func (ix *keyIndexer) add(path tomlPath, key, value nodeSpot) {
	if _, ok := ix.idx[path.id()]; !ok {
		ix.idx[path.id()] = &keySpot{key: key.pos, value: value.pos, offset: key.offset}
	}
}

func (ix *keyIndexer) keyValue(base tomlPath, kv *unstable.Node) {
	parts, spots := ix.keyParts(kv.Key())
	if len(parts) == 0 {
		return
	}
	path := base
	for i, part := range parts[:len(parts)-1] {
		path = path.child(part)
		ix.add(path, spots[i], spots[i])
	}
	ix.value(path.child(parts[len(parts)-1]), kv.Value(), spots[len(spots)-1])
}

func (ix *keyIndexer) value(path tomlPath, v *unstable.Node, key nodeSpot) {
	at := key // arrays carry no position of their own
	if v.Raw.Length > 0 {
		at = ix.spotOf(v)
	}
	ix.add(path, key, at)
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				ix.keyValue(path, c)
			}
		}
	case unstable.Array:
		i := 0
		it := v.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			el := at
			if c.Raw.Length > 0 {
				el = ix.spotOf(c)
			}
			ix.value(path.child(indexPart(i)), c, el)
			i++
		}
	}
}

// configDecoder fills Config from generic TOML values and collects every problem.
type configDecoder struct {
	file string
	idx  keyIndex
	set  map[string]bool // paths decoded into Config with the right type
	// refused are paths given but refused (a wrong type, out of range): reported, so
	// not reported again as missing.
	refused map[string]bool
	errs    []*ConfigError
	// maxName is the destination's longest name (0: no limit), for table names.
	maxName int
}

// errorAt records a problem about the key at path (atKey) or its value. A path the
// index does not hold (a key inside a JSON string, a missing key) takes its nearest
// ancestor's value position.
func (d *configDecoder) errorAt(path tomlPath, atKey bool, format string, args ...any) {
	shown := make(tomlPath, len(path)) // a key of a million bytes is named by its start
	for i, part := range path {
		shown[i] = shortText(part)
	}
	e := &ConfigError{File: d.file, Key: shown.String(), Message: fmt.Sprintf(format, args...)}
	for p := path; len(p) > 0; p = p[:len(p)-1] {
		if s, ok := d.idx[p.id()]; ok {
			pos := s.value
			if atKey && len(p) == len(path) {
				pos = s.key
			}
			e.Line, e.Column = pos.line, pos.col
			break
		}
	}
	d.errs = append(d.errs, e)
}

func (d *configDecoder) keyError(path tomlPath, format string, args ...any) {
	d.errorAt(path, true, format, args...)
}

func (d *configDecoder) valueError(path tomlPath, format string, args ...any) {
	d.errorAt(path, false, format, args...)
}

// has reports whether the key at path was given, with the right type.
func (d *configDecoder) has(path ...string) bool { return d.set[tomlPath(path).id()] }

// given reports whether the key at path was given, even if it was refused.
func (d *configDecoder) given(path ...string) bool {
	return d.set[tomlPath(path).id()] || d.refused[tomlPath(path).id()]
}

// inFileOrder returns m's keys in the order the file has them.
func (d *configDecoder) inFileOrder(path tomlPath, m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	offset := func(k string) int {
		if s, ok := d.idx[path.child(k).id()]; ok {
			return s.offset
		}
		return math.MaxInt
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, oj := offset(keys[i]), offset(keys[j])
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// tomlFields lists a struct's toml keys and field indexes, in declaration order.
func tomlFields(t reflect.Type) (names []string, index map[string]int) {
	index = map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		names = append(names, name)
		index[name] = i
	}
	return names, index
}

// knownKeys are the keys of every section: a misplaced primary_key is not a secret.
var knownKeys = func() map[string]bool {
	known := map[string]bool{}
	for _, t := range []reflect.Type{reflect.TypeFor[Config](), reflect.TypeFor[PipelineSection](),
		reflect.TypeFor[DestinationSection](), reflect.TypeFor[SourceSection](), reflect.TypeFor[ResourceConfig](),
		reflect.TypeFor[NotifySection]()} {
		names, _ := tomlFields(t)
		for _, n := range names {
			known[n] = true
		}
	}
	for _, k := range []string{"operator", "field", "value", "operands", "order", "tie_breaker", "tables", "columns", "data_type"} {
		known[k] = true
	}
	return known
}()

// secretWords are the words of a key name that say it holds a credential.
var secretWords = map[string]bool{
	"key": true, "keys": true, "apikey": true, "token": true, "tokens": true, "password": true,
	"passwd": true, "pwd": true, "passphrase": true, "secret": true, "secrets": true,
	"credential": true, "credentials": true, "bearer": true, "auth": true, "authorization": true,
}

// looksLikeSecret reports whether a key's name says it holds a credential: api_key,
// apiKey, token, password, client_secret, ...
func looksLikeSecret(key string) bool {
	if knownKeys[key] {
		return false
	}
	name := normalize.Identifier(key, 0)
	for _, w := range strings.Split(name, "_") {
		if secretWords[w] {
			return true
		}
	}
	for _, w := range []string{"apikey", "password", "secret", "token"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// unknownKey reports a key that is not expected where it is, or a secret.
func (d *configDecoder) unknownKey(path tomlPath, what string, expected []string) {
	key := path[len(path)-1]
	if path[0] == "notify" && (strings.Contains(key, "url") || strings.Contains(key, "webhook")) {
		d.keyError(path, "%s", notifyURLMessage)
		return
	}
	if looksLikeSecret(key) {
		d.keyError(path, "%s", secretMessage)
		return
	}
	d.keyError(path, "%s", withHint("unknown "+what, key, expected, "expected one of: "+strings.Join(expected, ", ")))
}

// unknownSection reports a top-level key that is no section, or a secret.
func (d *configDecoder) unknownSection(path tomlPath, sections []string) {
	key := path[len(path)-1]
	if looksLikeSecret(key) {
		d.keyError(path, "%s", secretMessage)
		return
	}
	written := make([]string, len(sections))
	for i, s := range sections {
		written[i] = "[" + s + "]"
		if s == "resources" {
			written[i] = "[resources.<name>]"
		}
	}
	d.keyError(path, "%s", withHint("unknown section", key, sections, "expected "+strings.Join(written, ", ")))
}

// withHint joins a problem, a "did you mean" when one of candidates is close to s, and what
// to do: "head: did you mean X? Tail", or "head; tail".
func withHint(head, s string, candidates []string, tail string) string {
	if m := didYouMean(s, candidates); m != "" {
		return head + ": " + m + " " + strings.ToUpper(tail[:1]) + tail[1:]
	}
	return head + "; " + tail
}

// didYouMean returns "did you mean X?" for the candidate closest to s, or "".
func didYouMean(s string, candidates []string) string {
	if m := secoda.Suggest(s, candidates); m != "" && m != s {
		return "did you mean " + m + "?"
	}
	return ""
}

// decodeStruct fills a section from a table, field by field.
func (d *configDecoder) decodeStruct(path tomlPath, m map[string]any, dst reflect.Value) {
	names, index := tomlFields(dst.Type())
	for _, k := range d.inFileOrder(path, m) {
		child := path.child(k)
		i, ok := index[k]
		if !ok {
			if len(path) == 0 {
				d.unknownSection(child, names)
			} else {
				d.unknownKey(child, "key in ["+path.String()+"]", names)
			}
			continue
		}
		d.decodeValue(child, m[k], dst.Field(i))
	}
}

// anyExpectation says what the fields of type any take.
var anyExpectation = map[string]string{
	"filter":          "a table or a string holding JSON",
	"sort":            "a table or a string holding JSON",
	"schema_contract": "a mode (a string) or a table",
}

// typeHints follow a wrong type where the right one is not obvious.
var typeHints = map[string]string{
	"incremental": `: the cursor field, or "" for none`,
	"rate_limit":  ": requests a minute, 0 for no pacing",
}

// decodeValue sets dst from v when v has the type dst takes, and reports it otherwise.
func (d *configDecoder) decodeValue(path tomlPath, v any, dst reflect.Value) bool {
	wrongType := func(expected string) bool {
		d.valueError(path, "expected %s, got %s%s", expected, describeValue(v), typeHints[path[len(path)-1]])
		d.refused[path.id()] = true
		return false
	}
	// Every setting's range (Limits) is checked here, before anything reads the value.
	limit, limited := limitAt(path)
	outOfRange := func(msg string) bool {
		if msg == "" {
			return false
		}
		d.valueError(path, "%s", msg)
		d.refused[path.id()] = true
		return true
	}
	switch dst.Kind() {
	case reflect.Pointer:
		elem := reflect.New(dst.Type().Elem())
		if !d.decodeValue(path, v, elem.Elem()) {
			return false
		}
		dst.Set(elem)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return wrongType("a string")
		}
		if limited && outOfRange(limit.lengthProblem(s)) {
			return false
		}
		dst.SetString(s)
	case reflect.Int:
		n, ok := v.(int64)
		if !ok {
			return wrongType("an integer")
		}
		if limited && outOfRange(limit.numberProblem(float64(n))) {
			return false
		}
		if dst.OverflowInt(n) {
			d.valueError(path, "%d is too large", n)
			return false
		}
		dst.SetInt(n)
	case reflect.Float64:
		var f float64
		switch n := v.(type) {
		case int64:
			f = float64(n)
		case float64:
			f = n
		default:
			return wrongType("a number")
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.valueError(path, "expected a finite number, got %v", f)
			return false
		}
		if limited && outOfRange(limit.numberProblem(f)) {
			return false
		}
		dst.SetFloat(f)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return wrongType("a table ([" + path.String() + "])")
		}
		d.decodeStruct(path, m, dst)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return wrongType("a table")
		}
		if limited && outOfRange(limit.countProblem(len(m))) {
			return false
		}
		out := reflect.MakeMapWithSize(dst.Type(), len(m))
		for _, k := range d.inFileOrder(path, m) {
			elem := reflect.New(dst.Type().Elem()).Elem()
			child := path.child(k)
			if elem.Kind() == reflect.Struct {
				if _, ok := m[k].(map[string]any); !ok && looksLikeSecret(k) {
					d.keyError(child, "%s", secretMessage)
					continue
				}
			}
			if elem.Kind() == reflect.String {
				if _, ok := m[k].(string); !ok {
					if looksLikeSecret(k) {
						d.keyError(child, "%s", secretMessage)
					} else {
						d.valueError(child, "expected a string, got %s: write every value as a string, e.g. %s = \"true\"",
							describeValue(m[k]), tomlPath{k})
					}
					continue
				}
			}
			if d.decodeValue(child, m[k], elem) {
				out.SetMapIndex(reflect.ValueOf(k), elem)
			}
		}
		dst.Set(out)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return wrongType("true or false")
		}
		dst.SetBool(b)
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return wrongType("an array")
		}
		out := reflect.MakeSlice(dst.Type(), len(list), len(list))
		for i, e := range list {
			if !d.decodeValue(path.child(indexPart(i)), e, out.Index(i)) {
				return false
			}
		}
		dst.Set(out)
	case reflect.Interface:
		switch x := v.(type) {
		case string:
			if limited && outOfRange(limit.lengthProblem(x)) {
				return false
			}
			dst.Set(reflect.ValueOf(v))
		case map[string]any:
			dst.Set(reflect.ValueOf(v))
		default:
			return wrongType(cmp.Or(anyExpectation[path[len(path)-1]], "a string or a table"))
		}
	default:
		// A field added to Config with a type this decoder does not take yet:
		// TestConfigFieldTypesDecodable catches it before a user does.
		d.valueError(path, "secoda-workbench cannot read this key yet (type %s)", dst.Type())
		return false
	}
	d.set[path.id()] = true
	return true
}

// describeValue names a TOML (or JSON) value's type for messages; it never shows the value.
func describeValue(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "null"
	case time.Time, toml.LocalDateTime:
		return "a date-time"
	case toml.LocalDate:
		return "a date"
	case toml.LocalTime:
		return "a time"
	}
	return fmt.Sprintf("a %T", v)
}

// identifierProblem says what is wrong with a table, dataset or pipeline name, or "".
// A name must be its own normalized form, so that what the file says is what the
// database shows.
func identifierProblem(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if n := normalize.Identifier(s, 0); n != s {
		return fmt.Sprintf("%s is not a valid name (lowercase letters, digits and underscores): use %s", tomlString(s), tomlString(n))
	}
	return ""
}

// destinationProblem says what is wrong with a destination type, or "".
func destinationProblem(s string) string {
	if slices.Contains(dest.Types, s) {
		return ""
	}
	return withHint("unknown destination "+tomlString(s), s, dest.Types, "use one of "+strings.Join(dest.Types, ", "))
}

// resolveDestination checks [destination]: a path for duckdb and filesystem, a URL
// without a password for postgres.
func (d *configDecoder) resolveDestination(cfg DestinationSection, plan *Plan) {
	if d.has("destination", "type") {
		if msg := destinationProblem(cfg.Type); msg != "" {
			d.valueError(tomlPath{"destination", "type"}, "%s", msg)
			return
		}
		plan.DestinationType = cfg.Type
	}
	if d.has("destination", "read_memory_mb") { // its range was checked as it was decoded
		if plan.DestinationType == dest.Postgres {
			d.keyError(tomlPath{"destination", "read_memory_mb"}, "read_memory_mb bounds the queries DuckDB runs in this process (duckdb, filesystem); "+
				"PostgreSQL runs them on the server, within its work_mem: remove it")
		} else {
			plan.ReadMemory = int64(cfg.ReadMemoryMB) << 20
		}
	}
	d.resolveBucket(cfg, plan)
	if plan.DestinationType == dest.Postgres {
		switch {
		case d.has("destination", "path"):
			d.keyError(tomlPath{"destination", "path"}, "path is for duckdb and filesystem; postgres takes url = \"postgres://USER@HOST:PORT/DATABASE\"")
		case !d.given("destination", "url"):
			d.keyError(tomlPath{"destination"}, "postgres needs url = \"postgres://USER@HOST:PORT/DATABASE\" (no password: keep it in the OS keyring "+
				"with `secoda-workbench secrets set --destination`, or in %s)", EnvDestinationPassword)
		default:
			if err := postgres.CheckURL(cfg.URL); err != nil {
				d.valueError(tomlPath{"destination", "url"}, "%s", err.Error())
			} else {
				plan.DestinationURL = cfg.URL
			}
		}
		d.maxName = postgres.MaxIdentifierLength
		if len(plan.DatasetName) > postgres.MaxIdentifierLength {
			d.valueError(tomlPath{"pipeline", "dataset_name"}, "PostgreSQL names are at most %d bytes: shorten it", postgres.MaxIdentifierLength)
		}
		return
	}
	if d.has("destination", "url") {
		d.keyError(tomlPath{"destination", "url"}, "url is for postgres; %s takes path", plan.DestinationType)
	}
	path, what := DefaultDuckDBPath, "the DuckDB file, e.g. "+tomlString(DefaultDuckDBPath)
	if plan.DestinationType == dest.Filesystem {
		path, what = DefaultFilesystemPath, "the folder the Parquet files go in, e.g. "+tomlString(DefaultFilesystemPath)
	}
	if plan.Bucket.Location.Scheme == bucket.File && !d.has("destination", "path") {
		cfg.Path = plan.Bucket.Location.Bucket // a local bucket_url is a path
		d.set[tomlPath{"destination", "path"}.id()] = true
	}
	if plan.IsBucket() {
		plan.DestinationPath = ""
		return
	}
	if d.has("destination", "path") {
		if strings.TrimSpace(cfg.Path) == "" {
			d.valueError(tomlPath{"destination", "path"}, "must not be empty: name %s", what)
		} else {
			path = cfg.Path
		}
	}
	written := path
	if !filepath.IsAbs(path) {
		path = filepath.Join(plan.Dir, path)
	}
	plan.DestinationPath = filepath.Clean(path)
	d.checkDestinationFiles(plan, written) // inside the project (configfile.go)
}

// bucketKeys are the [destination] keys of an object store, and the scheme each is for
// ("" for all of them).
var bucketKeys = []struct{ key, scheme string }{
	{"bucket_url", ""}, {"endpoint_url", ""}, {"cache_max_mb", ""},
	{"region", bucket.S3}, {"aws_access_key_id", bucket.S3}, {"account_name", bucket.Azure},
}

// resolveBucket checks the object-store keys of [destination]: bucket_url for the
// filesystem destination only, and each other key only with the store it is for.
func (d *configDecoder) resolveBucket(cfg DestinationSection, plan *Plan) {
	if plan.DestinationType != dest.Filesystem {
		for _, k := range bucketKeys {
			if d.has("destination", k.key) {
				d.keyError(tomlPath{"destination", k.key}, "%s is for the filesystem destination (type = \"filesystem\"): remove it", k.key)
			}
		}
		return
	}
	if !d.has("destination", "bucket_url") {
		for _, k := range bucketKeys[1:] {
			if d.has("destination", k.key) {
				d.keyError(tomlPath{"destination", k.key}, "%s is for a bucket: set bucket_url = \"s3://bucket/prefix\" (or gs://, az://), or remove it", k.key)
			}
		}
		return
	}
	loc, err := bucket.ParseURL(cfg.BucketURL)
	if err != nil {
		d.valueError(tomlPath{"destination", "bucket_url"}, "%s", err.Error())
		return
	}
	if d.has("destination", "path") {
		d.keyError(tomlPath{"destination", "path"}, "give bucket_url or path, not both: a bucket_url that is a local folder is the same as path")
		return
	}
	for _, k := range bucketKeys[1:] {
		if !d.has("destination", k.key) {
			continue
		}
		if !loc.IsRemote() || (k.scheme != "" && k.scheme != loc.Scheme) {
			for_ := "an object store"
			if k.scheme != "" {
				for_ = k.scheme + ":// buckets"
			}
			d.keyError(tomlPath{"destination", k.key}, "%s is for %s, and bucket_url is %s: remove it", k.key, for_, tomlString(loc.String()))
		}
	}
	if d.has("destination", "endpoint_url") {
		if u, err := url.Parse(cfg.EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			d.valueError(tomlPath{"destination", "endpoint_url"}, "must be an http:// or https:// URL of the store, with no user or password in it, e.g. \"http://127.0.0.1:9000\"")
		}
	}
	if d.has("destination", "aws_access_key_id") && looksLikeSecretKey(cfg.AWSAccessKeyID) {
		d.valueError(tomlPath{"destination", "aws_access_key_id"}, "looks like a secret access key, not a key id: %s", secretMessage)
	}
	plan.Bucket = bucket.Config{Location: loc, EndpointURL: cfg.EndpointURL, Region: cfg.Region,
		AccountName: cfg.AccountName, AccessKeyID: cfg.AWSAccessKeyID}
	plan.CacheMax = int64(DefaultCacheMaxMB) << 20
	if d.has("destination", "cache_max_mb") {
		plan.CacheMax = int64(cfg.CacheMaxMB) << 20
	}
}

// looksLikeSecretKey tells a secret access key (40 characters of base64) from a key id
// (AKIA… and the like: capitals and digits).
func looksLikeSecretKey(s string) bool {
	return strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz/+") && len(s) >= 30
}

// catalogQueryEndpoints names the endpoints that take the catalog's filter and sort.
func catalogQueryEndpoints() []string {
	var names []string
	for _, e := range secoda.Endpoints {
		if e.CatalogQuery {
			names = append(names, e.Name)
		}
	}
	return names
}

var writeDispositions = []string{string(secoda.Append), string(secoda.Replace), string(secoda.Merge)}

// resolve checks the values of a decoded config and fills in the defaults.
func (d *configDecoder) resolve(cfg *Config, raw map[string]any) *Plan {
	abs, err := filepath.Abs(d.file)
	if err != nil {
		d.errs = append(d.errs, &ConfigError{File: d.file, Message: "cannot place the file: " + err.Error(), err: err})
	}
	plan := &Plan{
		File: abs, Dir: filepath.Dir(abs),
		PipelineName: DefaultPipelineName, DatasetName: DefaultDatasetName, SchemaName: normalize.SchemaName,
		DestinationType:   DefaultDestination,
		RequestsPerMinute: secoda.DefaultRequestsPerMinute,
		Concurrency:       DefaultConcurrency, DetailConcurrency: DefaultDetailConcurrency,
		CatalogCap: partition.DefaultCap, ReadMemory: dest.DefaultReadMemory,
	}

	for _, f := range []struct {
		key string
		val string
		dst *string
	}{{"name", cfg.Pipeline.Name, &plan.PipelineName}, {"dataset_name", cfg.Pipeline.DatasetName, &plan.DatasetName},
		{"schema_name", cfg.Pipeline.SchemaName, &plan.SchemaName}} {
		if !d.has("pipeline", f.key) {
			continue
		}
		if msg := identifierProblem(f.val); msg != "" {
			d.valueError(tomlPath{"pipeline", f.key}, "%s", msg)
		} else {
			*f.dst = f.val
		}
	}

	d.resolveDestination(cfg.Destination, plan)

	d.resolveSource(cfg.Source, plan)

	if _, ok := raw["notify"]; ok {
		d.resolveNotify(cfg.Notify, plan)
	}

	rv, present := raw["resources"]
	resources, isTable := rv.(map[string]any)
	if !present || isTable && len(resources) == 0 {
		d.keyError(tomlPath{"resources"}, "no resources: add a [resources.<name>] section, or run `secoda-workbench scaffold`")
	}
	for _, name := range d.inFileOrder(tomlPath{"resources"}, resources) {
		rc, ok := cfg.Resources[name]
		if !ok {
			continue // not a table: reported
		}
		if r, ok := d.resolveResource(name, rc); ok {
			plan.Resources = append(plan.Resources, r)
		}
	}
	return plan
}

// resolveNotify reads [notify]: how and when a run's outcome is sent. A value that
// looks like a URL is refused without being repeated: it is the webhook's.
func (d *configDecoder) resolveNotify(n NotifySection, plan *Plan) {
	c := &notify.Config{Format: notify.FormatSlack, On: map[string]bool{notify.OnFailure: true, notify.OnIncomplete: true},
		Timeout: notify.DefaultTimeout, Retries: notify.DefaultRetries}
	if d.has("notify", "format") {
		switch {
		case strings.Contains(n.Format, "://"):
			d.valueError(tomlPath{"notify", "format"}, "%s", notifyURLMessage)
		case slices.Contains(notify.Formats, n.Format):
			c.Format = n.Format
		default:
			d.valueError(tomlPath{"notify", "format"}, "%s", withHint("unknown format", n.Format, notify.Formats, "expected slack or json"))
		}
	}
	if d.has("notify", "on") {
		c.On = map[string]bool{}
		for i, e := range n.On {
			at := tomlPath{"notify", "on", indexPart(i)}
			switch {
			case strings.Contains(e, "://"):
				d.valueError(at, "%s", notifyURLMessage)
			case !slices.Contains(notify.Events, e):
				d.valueError(at, "%s", withHint("unknown event", e, notify.Events, "expected failure, incomplete or recovery"))
			case c.On[e]:
				d.valueError(at, "%s is listed twice", e)
			default:
				c.On[e] = true
			}
		}
		if len(n.On) == 0 {
			d.valueError(tomlPath{"notify", "on"}, "no events: list failure, incomplete or recovery, or remove [notify]")
		} else if msg := limitsByKey["notify.on"].countProblem(len(n.On)); msg != "" {
			d.valueError(tomlPath{"notify", "on"}, "%s", msg)
		}
	}
	if d.has("notify", "timeout_seconds") {
		c.Timeout = time.Duration(n.TimeoutSeconds) * time.Second
	}
	if d.has("notify", "retries") && n.Retries != nil {
		c.Retries = *n.Retries
	}
	plan.Notify = c
}

func (d *configDecoder) resolveSource(src SourceSection, plan *Plan) {
	if d.has("source", "base_url") && strings.TrimSpace(src.BaseURL) != "" {
		u, err := secoda.NormalizeBaseURL(src.BaseURL)
		if err != nil {
			d.valueError(tomlPath{"source", "base_url"}, "%v", err)
		} else {
			plan.BaseURL = u
		}
	}
	// The numbers' ranges (Limits) were checked as they were decoded.
	if d.has("source", "rate_limit") {
		plan.RequestsPerMinute = *src.RateLimit
		if plan.RequestsPerMinute == 0 {
			plan.RequestsPerMinute = -1 // the client's "no pacing"
		}
	}
	for _, f := range []struct {
		key string
		val int
		dst *int
	}{{"concurrency", src.Concurrency, &plan.Concurrency}, {"detail_concurrency", src.DetailConcurrency, &plan.DetailConcurrency},
		{"catalog_cap", src.CatalogCap, &plan.CatalogCap}} {
		if d.has("source", f.key) {
			*f.dst = f.val
		}
	}
}

// resolveResource checks one [resources.<name>] table; ok is false when its endpoint
// is unknown or a value is wrong.
func (d *configDecoder) resolveResource(name string, rc ResourceConfig) (Resource, bool) {
	path := tomlPath{"resources", name}
	before := len(d.errs)
	if msg := limitsByKey["resources.<table>"].lengthProblem(name); msg != "" {
		d.keyError(path, "the table name %s", msg)
		return Resource{}, false // what else is wrong would repeat the name
	}
	if msg := identifierProblem(name); msg != "" {
		d.keyError(path, "table name %s", msg)
	} else if strings.HasPrefix(name, "_dlt") {
		d.keyError(path, "names starting with _dlt are dlt's system tables: choose another table name")
	} else if d.maxName > 0 && len(name) > d.maxName {
		d.keyError(path, "table name is %d bytes; the destination takes at most %d: choose a shorter one", len(name), d.maxName)
	}

	epName, epPath, atKey := name, path, true
	if d.has("resources", name, "endpoint") {
		epName, epPath, atKey = rc.Endpoint, path.child("endpoint"), false
	}
	ep, found := secoda.LookupEndpoint(epName)
	if !found {
		msg := withHint("unknown endpoint "+tomlString(epName), epName, secoda.EndpointNames(),
			"`secoda-workbench endpoints` lists them")
		if atKey {
			msg += " (a [resources.<table>] loads the endpoint of the same name unless endpoint = \"...\" names another)"
		}
		d.errorAt(epPath, atKey, "%s", msg)
	}

	r := Resource{
		Name: name, Endpoint: ep, Disposition: ep.Disposition, PrimaryKey: ep.PrimaryKey, Cursor: ep.Cursor,
		PageCap: secoda.DefaultPageCap, Contract: normalize.EvolveAll, MaxNesting: normalize.DefaultMaxNesting,
	}
	dispositionOK, keyOK := true, true
	if d.has("resources", name, "write_disposition") {
		wd := rc.WriteDisposition
		if slices.Contains(writeDispositions, wd) {
			r.Disposition = secoda.Disposition(wd)
		} else {
			dispositionOK = false
			msg := withHint(tomlString(wd)+" is not a write disposition", wd, writeDispositions, "use append, replace or merge")
			if l := strings.ToLower(wd); strings.Contains(l, "upsert") || strings.Contains(l, "insert") {
				msg += " (merge is the delete-insert on the primary key)"
			}
			d.valueError(path.child("write_disposition"), "%s", msg)
		}
	}
	if d.has("resources", name, "primary_key") {
		if strings.TrimSpace(rc.PrimaryKey) == "" {
			keyOK = false
			d.valueError(path.child("primary_key"), "must not be empty: name the field merge matches on, e.g. \"id\"")
		} else {
			r.PrimaryKey = rc.PrimaryKey
		}
	}
	if found && dispositionOK && keyOK && r.Disposition == secoda.Merge && r.PrimaryKey == "" {
		at := path
		if d.has("resources", name, "write_disposition") {
			at = path.child("write_disposition")
		}
		d.valueError(at, "merge needs a primary key: set primary_key, or use append or replace")
	}
	if d.has("resources", name, "incremental") {
		r.Cursor = *rc.Incremental
	}

	takesQuery := found && ep.CatalogQuery
	for _, q := range []struct {
		key   string
		val   any
		check func(any, tomlPath, *[]shapeProblem)
		dst   *string
	}{{"filter", rc.Filter, checkFilter, &r.Filter}, {"sort", rc.Sort, checkSort, &r.Sort}} {
		if !d.has("resources", name, q.key) {
			continue
		}
		if found && !takesQuery {
			takers := catalogQueryEndpoints()
			verb := "takes"
			if len(takers) > 1 {
				verb = "take"
			}
			msg := fmt.Sprintf("%s does not take a %s: only %s %s the catalog's filter and sort", ep.Name, q.key, strings.Join(takers, ", "), verb)
			if len(ep.Params) > 0 {
				msg += fmt.Sprintf(" (%s filters with params: %s)", ep.Name, strings.Join(ep.Params, ", "))
			}
			d.keyError(path.child(q.key), "%s", msg)
			continue
		}
		*q.dst = d.catalogJSON(path.child(q.key), q.val, q.check)
	}

	if d.has("resources", name, "params") {
		for _, k := range slices.Sorted(maps.Keys(rc.Params)) {
			if !found && !looksLikeSecret(k) {
				continue // the endpoint is unknown, and so are its params
			}
			if found && slices.Contains(ep.Params, k) {
				if r.Params == nil {
					r.Params = url.Values{}
				}
				r.Params.Set(k, rc.Params[k])
				continue
			}
			kp := path.child("params", k)
			switch {
			case looksLikeSecret(k):
				d.keyError(kp, "%s", secretMessage)
			case len(ep.Params) == 0:
				d.keyError(kp, "unknown parameter: %s takes no params", ep.Name)
			default:
				msg := withHint("unknown parameter", k, ep.Params,
					fmt.Sprintf("the endpoint %s takes %s", ep.Name, strings.Join(ep.Params, ", ")))
				if ep.CatalogQuery && (k == "filter" || k == "sort") {
					msg += fmt.Sprintf("; %s goes in [%s] itself, not under params", k, path)
				}
				d.keyError(kp, "%s", msg)
			}
		}
	}

	if d.has("resources", name, "page_cap") && rc.PageCap > 0 { // 0 is the default
		r.PageCap = rc.PageCap
	}
	if d.has("resources", name, "schema_contract") {
		r.Contract = d.contract(path.child("schema_contract"), rc.SchemaContract)
	}
	if d.has("resources", name, "max_table_nesting") {
		r.MaxNesting = *rc.MaxTableNesting
	}
	return r, found && len(d.errs) == before
}

// contract reads schema_contract: one mode for all three, or a table naming each.
func (d *configDecoder) contract(path tomlPath, v any) normalize.Contract {
	parse := func(at tomlPath, v any) normalize.ContractMode {
		s, ok := v.(string)
		if !ok {
			d.valueError(at, "expected a mode (a string), got %s", describeValue(v))
			return normalize.Evolve
		}
		if l, ok := limitAt(at); ok {
			if msg := l.lengthProblem(s); msg != "" {
				d.valueError(at, "%s", msg)
				return normalize.Evolve
			}
		}
		m, err := normalize.ParseContractMode(s)
		if err != nil {
			msg := err.Error()
			modes := make([]string, len(normalize.ContractModes))
			for i, m := range normalize.ContractModes {
				modes[i] = string(m)
			}
			if s := didYouMean(s, modes); s != "" {
				msg += "; " + s
			}
			d.valueError(at, "%s", msg)
			return normalize.Evolve
		}
		return m
	}
	switch c := v.(type) {
	case string:
		return normalize.Uniform(parse(path, c))
	case map[string]any:
		out := normalize.EvolveAll
		fields := []string{"tables", "columns", "data_type"}
		for _, k := range d.inFileOrder(path, c) {
			at := path.child(k)
			switch k {
			case "tables":
				out.Tables = parse(at, c[k])
			case "columns":
				out.Columns = parse(at, c[k])
			case "data_type":
				out.DataType = parse(at, c[k])
			default:
				d.unknownKey(at, "key in schema_contract", fields)
			}
		}
		return out
	}
	return normalize.EvolveAll
}

// shapeProblem is a problem inside a filter or sort: at is relative to the key.
type shapeProblem struct {
	at    tomlPath
	atKey bool
	msg   string
}

// catalogJSON checks a filter or sort given as a TOML table or a JSON string and
// returns it as compact JSON ("" for an empty string). Problems inside a table point
// at their key; inside a JSON string, at the string, naming the place in the JSON.
func (d *configDecoder) catalogJSON(path tomlPath, v any, check func(any, tomlPath, *[]shapeProblem)) string {
	var doc any
	var probs []shapeProblem
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return ""
		}
		dec := json.NewDecoder(strings.NewReader(x))
		dec.UseNumber()
		err := dec.Decode(&doc)
		if err == nil && dec.More() {
			err = errors.New("more than one JSON value")
		}
		if err != nil {
			d.valueError(path, "not valid JSON: %v", err)
			return ""
		}
		check(doc, nil, &probs)
		for _, p := range probs {
			if len(p.at) > 0 {
				d.valueError(path, "in the JSON at %s: %s", p.at, p.msg)
			} else {
				d.valueError(path, "%s", p.msg)
			}
		}
	case map[string]any:
		doc = x
		check(doc, nil, &probs)
		for _, p := range probs {
			d.errorAt(path.child(p.at...), p.atKey, "%s", p.msg)
		}
	}
	if len(probs) > 0 {
		return ""
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonValue(doc)); err != nil {
		d.valueError(path, "cannot write it as JSON: %v", err)
		return ""
	}
	out := strings.TrimSuffix(b.String(), "\n")
	if l, ok := limitAt(path); ok {
		if msg := l.lengthProblem(out); msg != "" {
			d.valueError(path, "as JSON, it %s", msg)
			return ""
		}
	}
	return out
}

// jsonValue turns TOML dates and times into the strings they were written as.
func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case toml.LocalDate:
		return x.String()
	case toml.LocalTime:
		return x.String()
	case toml.LocalDateTime:
		return x.String()
	}
	return v
}

const maxFilterDepth = 32 // as deep as Secoda (and the simulator) take

var (
	leafOperators  = []string{"exact", "contains", "in", "is_set"}
	logicOperators = []string{"and", "or", "not"}
	allOperators   = append(slices.Clone(leafOperators), logicOperators...)
)

// checkFilter checks the catalog's filter: a leaf {operator: exact|contains|in|is_set,
// field, value} or a combination {operator: and|or|not, operands: [...]}.
func checkFilter(v any, at tomlPath, probs *[]shapeProblem) {
	checkFilterAt(v, at, 0, probs)
}

func checkFilterAt(v any, at tomlPath, depth int, probs *[]shapeProblem) {
	add := func(p tomlPath, atKey bool, format string, args ...any) {
		*probs = append(*probs, shapeProblem{at: p, atKey: atKey, msg: fmt.Sprintf(format, args...)})
	}
	if depth > maxFilterDepth {
		add(at, false, "the filter is nested more than %d deep", maxFilterDepth)
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		add(at, false, "expected a filter, {operator, field, value} or {operator, operands}, got %s", describeValue(v))
		return
	}
	opv, ok := m["operator"]
	if !ok {
		add(at, false, "the filter has no operator: use %s", strings.Join(allOperators, ", "))
		return
	}
	op, ok := opv.(string)
	if !ok {
		add(at.child("operator"), false, "expected a string, got %s", describeValue(opv))
		return
	}
	var allowed []string
	switch {
	case slices.Contains(leafOperators, op):
		allowed = []string{"operator", "field", "value"}
		if f, ok := m["field"]; !ok {
			add(at, false, "operator %q needs a field", op)
		} else if s, ok := f.(string); !ok {
			add(at.child("field"), false, "expected a string, got %s", describeValue(f))
		} else if s == "" {
			add(at.child("field"), false, "must not be empty")
		}
		val, hasValue := m["value"]
		switch {
		case !hasValue && op != "is_set":
			add(at, false, "operator %q needs a value", op)
		case !hasValue:
		case op == "in":
			list, ok := val.([]any)
			if !ok {
				add(at.child("value"), false, "operator \"in\" takes a list value, got %s", describeValue(val))
				break
			}
			for i, e := range list {
				if !isFilterScalar(e) {
					add(at.child("value", indexPart(i)), false, "expected a string, number or boolean, got %s", describeValue(e))
				}
			}
		case op == "contains":
			if _, ok := val.(string); !ok {
				add(at.child("value"), false, "operator \"contains\" takes a string, got %s", describeValue(val))
			}
		default:
			if !isFilterScalar(val) {
				add(at.child("value"), false, "expected a string, number or boolean, got %s", describeValue(val))
			}
		}
	case slices.Contains(logicOperators, op):
		allowed = []string{"operator", "operands"}
		ov, ok := m["operands"]
		if !ok {
			add(at, false, "operator %q needs operands", op)
			break
		}
		list, ok := ov.([]any)
		switch {
		case !ok:
			add(at.child("operands"), false, "expected a list of filters, got %s", describeValue(ov))
		case len(list) == 0:
			add(at.child("operands"), false, "operator %q needs at least one operand", op)
		case op == "not" && len(list) != 1:
			add(at.child("operands"), false, "operator \"not\" takes one operand, got %d", len(list))
		default:
			for i, e := range list {
				checkFilterAt(e, at.child("operands", indexPart(i)), depth+1, probs)
			}
		}
	default:
		add(at.child("operator"), false, "%s", withHint(fmt.Sprintf("unknown operator %q", op), op, allOperators,
			"use "+strings.Join(allOperators, ", ")))
		return
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if slices.Contains(allowed, k) {
			continue
		}
		switch {
		case looksLikeSecret(k):
			add(at.child(k), true, "%s", secretMessage)
		case k == "operands" || k == "field" || k == "value":
			add(at.child(k), true, "operator %q takes %s, not %s", op, strings.Join(allowed[1:], " and "), k)
		default:
			add(at.child(k), true, "%s", withHint("unknown key in a filter", k, allowed,
				fmt.Sprintf("operator %q takes %s", op, strings.Join(allowed, ", "))))
		}
	}
}

func isFilterScalar(v any) bool {
	switch x := v.(type) {
	case string, int64, json.Number, bool, nil, time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return false
}

const maxTieBreakers = 4 // as many as Secoda (and the simulator) take

// checkSort checks the catalog's sort: {field, order: asc|desc, tie_breaker: {...}}.
func checkSort(v any, at tomlPath, probs *[]shapeProblem) {
	add := func(p tomlPath, atKey bool, format string, args ...any) {
		*probs = append(*probs, shapeProblem{at: p, atKey: atKey, msg: fmt.Sprintf(format, args...)})
	}
	allowed := []string{"field", "order", "tie_breaker"}
	for depth := 0; ; depth++ {
		if depth > maxTieBreakers {
			add(at, false, "more than %d tie breakers", maxTieBreakers)
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			add(at, false, "expected a sort, {field, order, tie_breaker}, got %s", describeValue(v))
			return
		}
		if f, ok := m["field"]; !ok {
			add(at, false, "the sort needs a field")
		} else if s, ok := f.(string); !ok {
			add(at.child("field"), false, "expected a string, got %s", describeValue(f))
		} else if s == "" {
			add(at.child("field"), false, "must not be empty")
		}
		if o, ok := m["order"]; ok {
			if s, ok := o.(string); !ok {
				add(at.child("order"), false, "expected a string, asc or desc, got %s", describeValue(o))
			} else if s != "asc" && s != "desc" {
				add(at.child("order"), false, "order %q: use asc or desc", s)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if slices.Contains(allowed, k) {
				continue
			}
			if looksLikeSecret(k) {
				add(at.child(k), true, "%s", secretMessage)
				continue
			}
			add(at.child(k), true, "%s", withHint("unknown key in a sort", k, allowed, "a sort takes "+strings.Join(allowed, ", ")))
		}
		next, ok := m["tie_breaker"]
		if !ok {
			return
		}
		v, at = next, at.child("tie_breaker")
	}
}

// LoadProject reads the config of the project in dir, and says what to do when there
// is none.
func LoadProject(dir string) (*Plan, error) {
	plan, err := LoadConfig(filepath.Join(dir, ConfigFileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no %s in %s: run `secoda-workbench scaffold` to write one (or work in your project's folder): %w", ConfigFileName, dir, os.ErrNotExist)
	}
	return plan, err
}

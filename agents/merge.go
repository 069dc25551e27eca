package agents

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"
)

// ErrEdited is a managed file or block the user changed; init leaves it unless forced.
var ErrEdited = errors.New("edited by hand since init wrote it")

// ErrMalformed is a file init must merge into but cannot parse, or that parses in more
// than one way (invalid UTF-8, a key twice); it is reported, never overwritten.
var ErrMalformed = errors.New("does not parse")

// checkJSON refuses a JSON file init would edit that readers may not read alike: not
// JSON, not UTF-8, a key twice in one object (encoding/json keeps the last, others the
// first), half a surrogate pair. An empty file is an empty object.
func checkJSON(file []byte) error {
	if len(bytes.TrimSpace(file)) == 0 {
		return nil
	}
	err := jsonv.Unambiguous(file)
	var se *jsonv.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	line, col := lineCol(file, se.Offset)
	what := "as JSON"
	if errors.Is(err, jsonv.ErrAmbiguous) {
		what = "unambiguously as JSON"
	}
	return fmt.Errorf("%w %s: line %d, column %d: %s; fix it (or move it aside) and run init again", ErrMalformed, what, line, col, se.Msg)
}

// checkUTF8 refuses a text file that is not UTF-8, with where.
func checkUTF8(file []byte) error {
	for i := 0; i < len(file); {
		r, n := utf8.DecodeRune(file[i:])
		if r == utf8.RuneError && n == 1 {
			line, col := lineCol(file, i)
			return fmt.Errorf("%w: line %d, column %d: invalid UTF-8 (a file in another encoding?); fix it and run init again", ErrMalformed, line, col)
		}
		i += n
	}
	return nil
}

// lineCol is the 1-based line and byte column of offset in data.
func lineCol(data []byte, offset int) (line, col int) {
	offset = min(offset, len(data))
	line = 1 + bytes.Count(data[:offset], []byte("\n"))
	return line, offset - (bytes.LastIndexByte(data[:offset], '\n') + 1) + 1
}

// --- Markdown blocks (CLAUDE.md, AGENTS.md) -------------------------------------------

const (
	mdBegin = "<!-- secoda-workbench:begin (managed by `secoda-workbench init`; edits here are replaced, sha256=%s) -->"
	mdEnd   = "<!-- secoda-workbench:end -->"
)

var mdBlock = regexp.MustCompile(`(?s)<!-- secoda-workbench:begin [^\n]*?sha256=([0-9a-f]+)\) -->\n(.*?)\n<!-- secoda-workbench:end -->`)

// markdownBlock keeps body between markers in a Markdown file, with everything around
// the block as it was. A block whose text no longer matches its hash was edited.
func markdownBlock(body string) func(old []byte, force bool) ([]byte, error) {
	return func(old []byte, force bool) ([]byte, error) {
		body = strings.TrimRight(body, "\n")
		block := fmt.Sprintf(mdBegin, changeset.Digest(body)) + "\n" + body + "\n" + mdEnd
		if old == nil {
			return []byte(block + "\n"), nil
		}
		m := mdBlock.FindSubmatchIndex(old)
		if m == nil {
			sep := "\n"
			if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
				sep = "\n\n"
			} else if len(old) > 0 {
				sep = "\n"
			}
			if len(old) == 0 {
				sep = ""
			}
			return append(append(append([]byte{}, old...), sep...), block+"\n"...), nil
		}
		recorded, current := string(old[m[2]:m[3]]), string(old[m[4]:m[5]])
		if changeset.Digest(current) != recorded && !force {
			return nil, ErrEdited
		}
		out := append([]byte{}, old[:m[0]]...)
		out = append(out, block...)
		return append(out, old[m[1]:]...), nil
	}
}

// --- Ignore blocks (.gitignore, .cursorignore, .codexignore) --------------------------

const (
	ignBegin = "# secoda-workbench:begin (managed by `secoda-workbench init`)"
	ignEnd   = "# secoda-workbench:end"
)

// ignoreBlock keeps the paths in a block of an ignore file; the user's lines stay.
func ignoreBlock(paths []string) func(old []byte, force bool) ([]byte, error) {
	return func(old []byte, _ bool) ([]byte, error) {
		block := ignBegin + "\n" + strings.Join(paths, "\n") + "\n" + ignEnd
		s := string(old)
		if i := strings.Index(s, ignBegin); i >= 0 {
			if j := strings.Index(s[i:], ignEnd); j >= 0 {
				return []byte(s[:i] + block + s[i+j+len(ignEnd):]), nil
			}
		}
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		return []byte(s + block + "\n"), nil
	}
}

// --- Whole managed files (skills, Cursor's rule) -------------------------------------

const fileMark = "<!-- managed by `secoda-workbench init` (sha256=%s): edits are kept unless init runs with --force -->"

var fileMarkRe = regexp.MustCompile(`<!-- managed by ` + "`secoda-workbench init`" + ` \(sha256=([0-9a-f]+)\)[^\n]*-->\n`)

// managedFile writes a file init owns. The mark after the frontmatter records the
// content's hash, so a file the user changed (or wrote themselves) is left alone.
func managedFile(content string) func(old []byte, force bool) ([]byte, error) {
	return func(old []byte, force bool) ([]byte, error) {
		mark := fmt.Sprintf(fileMark, changeset.Digest(content))
		text := content
		if strings.HasPrefix(content, "---\n") {
			if end := strings.Index(content[4:], "\n---\n"); end >= 0 {
				cut := 4 + end + len("\n---\n")
				text = content[:cut] + mark + "\n" + content[cut:]
			}
		} else {
			text = mark + "\n" + content
		}
		if old == nil || force {
			return []byte(text), nil
		}
		m := fileMarkRe.FindSubmatchIndex(old)
		if m == nil {
			return nil, fmt.Errorf("%w (it is not init's: it has no managed mark)", ErrEdited)
		}
		without := string(old[:m[0]]) + string(old[m[1]:])
		if changeset.Digest(without) != string(old[m[2]:m[3]]) {
			return nil, ErrEdited
		}
		return []byte(text), nil
	}
}

// --- JSON (.mcp.json, .cursor/mcp.json, .claude/settings.json) ------------------------

// jsonServer sets mcpServers.secoda-workbench and leaves every other byte as it was.
func (o Options) jsonServer(env map[string]string) func(old []byte, force bool) ([]byte, error) {
	return func(old []byte, _ bool) ([]byte, error) {
		server := struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		}{o.Command, []string{"serve"}, env}
		if err := checkJSON(old); err != nil {
			return nil, err
		}
		return jsonSet(old, []string{"mcpServers", ServerName}, server)
	}
}

// claudeSettings adds the deny rules for secrets and allows the read-only tools.
func (o Options) claudeSettings() func(old []byte, force bool) ([]byte, error) {
	return func(old []byte, _ bool) ([]byte, error) {
		var deny []string
		for _, f := range secretFiles {
			deny = append(deny, "Read(./"+f+")")
		}
		if o.InsecureFile != "" {
			deny = append(deny, "Read("+claudePath(o.InsecureFile)+")")
		}
		var allow []string
		for _, t := range readOnlyTools() {
			allow = append(allow, "mcp__"+ServerName+"__"+t)
		}
		if err := checkJSON(old); err != nil {
			return nil, err
		}
		doc, err := jsonAppend(old, []string{"permissions", "deny"}, deny)
		if err != nil {
			return nil, err
		}
		return jsonAppend(doc, []string{"permissions", "allow"}, allow)
	}
}

// claudePath writes a path as Claude Code's permission rules take it: ~/ under the
// home folder, // for another absolute path.
func claudePath(p string) string {
	if home, err := os.UserHomeDir(); err == nil {
		if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") {
			return "~/" + filepath.ToSlash(rel)
		}
	}
	return "/" + filepath.ToSlash(p)
}

// member is an object member's key and where its value lies.
type member struct {
	key        string
	start, end int // value bytes
}

// members lists an object's members with their values' offsets in doc. obj must be
// a slice of doc.
func members(doc, obj []byte) ([]member, error) {
	var out []member
	err := jsonv.ObjectEach(obj, func(k string, v []byte) error {
		s := cap(doc) - cap(v)
		out = append(out, member{key: k, start: s, end: s + len(v)})
		return nil
	})
	return out, err
}

// jsonSet sets the value at path (objects made as needed), editing the document in
// place so that everything else keeps its bytes.
func jsonSet(old []byte, path []string, value any) ([]byte, error) {
	lead, doc, trail := splitSpace(old)
	out, err := jsonSetTrimmed(doc, path, value)
	if err != nil {
		return nil, err
	}
	return append(append(append([]byte{}, lead...), out...), trail...), nil
}

// splitSpace parts a file into its leading space, its content and its trailing space;
// an empty file is an empty object ending in a newline.
func splitSpace(b []byte) (lead, doc, trail []byte) {
	doc = bytes.TrimSpace(b)
	if len(doc) == 0 {
		return nil, []byte("{}"), []byte("\n")
	}
	i := bytes.Index(b, doc)
	return b[:i], doc, b[i+len(doc):]
}

func jsonSetTrimmed(doc []byte, path []string, value any) ([]byte, error) {
	doc = append([]byte{}, doc...)
	if !jsonv.Valid(doc) {
		return nil, fmt.Errorf("%w as JSON; fix it (or move it aside) and run init again", ErrMalformed)
	}
	if doc[0] != '{' {
		return nil, fmt.Errorf("%w: it is JSON but not an object", ErrMalformed)
	}
	obj := doc
	for depth, key := range path {
		ms, err := members(doc, obj)
		if err != nil {
			return nil, err
		}
		var found *member
		for i := range ms {
			if ms[i].key == key {
				found = &ms[i]
			}
		}
		last := depth == len(path)-1
		if found == nil {
			var v any = value
			for i := len(path) - 1; i > depth; i-- {
				v = map[string]any{path[i]: v}
			}
			return insertMember(doc, obj, ms, key, v, depth+1)
		}
		if last {
			raw, err := marshalIndented(value, indentOf(doc, found.start), depth+1)
			if err != nil {
				return nil, err
			}
			out := append([]byte{}, doc[:found.start]...)
			out = append(out, raw...)
			return append(out, doc[found.end:]...), nil
		}
		if doc[found.start] != '{' {
			return nil, fmt.Errorf("%w: %q is not an object", ErrMalformed, strings.Join(path[:depth+1], "."))
		}
		obj = doc[found.start:found.end]
	}
	return doc, nil
}

// jsonAppend adds strings to the array at path that are not in it yet.
func jsonAppend(old []byte, path []string, items []string) ([]byte, error) {
	_, doc, _ := splitSpace(old)
	if !jsonv.Valid(doc) {
		return nil, fmt.Errorf("%w as JSON; fix it (or move it aside) and run init again", ErrMalformed)
	}
	var tree any
	if err := json.Unmarshal(doc, &tree); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	cur := tree
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			cur = nil
			break
		}
		cur = m[p]
	}
	var existing []any
	if cur != nil {
		arr, ok := cur.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: %q is not a list", ErrMalformed, strings.Join(path, "."))
		}
		existing = arr
	}
	merged := append([]any{}, existing...)
	have := map[string]bool{}
	for _, e := range existing {
		if s, ok := e.(string); ok {
			have[s] = true
		}
	}
	changed := false
	for _, it := range items {
		if !have[it] {
			merged = append(merged, it)
			changed = true
		}
	}
	if !changed {
		return old, nil
	}
	return jsonSet(old, path, merged)
}

// insertMember adds "key": value to the object obj (a slice of doc) after its last member.
func insertMember(doc, obj []byte, ms []member, key string, value any, depth int) ([]byte, error) {
	objStart := cap(doc) - cap(obj)
	objEnd := objStart + len(obj) - 1 // the closing brace
	// An empty object's members sit one unit deeper than the line that opens it.
	parent := indentOf(doc, objStart)
	indent := parent + indentUnit(parent, depth-1)
	if len(ms) > 0 {
		indent = indentOf(doc, ms[0].start)
	}
	raw, err := marshalIndented(value, indent, depth)
	if err != nil {
		return nil, err
	}
	k, _ := json.Marshal(key)
	entry := "\n" + indent + string(k) + ": " + string(raw)
	var out []byte
	if len(ms) == 0 {
		closing := "\n" + parent
		out = append(append([]byte{}, doc[:objStart+1]...), entry+closing...)
		return append(out, doc[objEnd:]...), nil
	}
	lastEnd := ms[len(ms)-1].end
	out = append(append([]byte{}, doc[:lastEnd]...), ","+entry...)
	return append(out, doc[lastEnd:]...), nil
}

// indentOf is the whitespace before the key whose value starts at pos.
func indentOf(doc []byte, pos int) string {
	line := bytes.LastIndexByte(doc[:pos], '\n')
	i := line + 1
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t') {
		i++
	}
	return string(doc[line+1 : i])
}

// marshalIndented writes a value indented to sit at indent, the indent of a key at
// nesting depth depth.
func marshalIndented(v any, indent string, depth int) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(indent, indentUnit(indent, depth))
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// indentUnit is one level of the file's indentation, judged from indent, the indent of
// a key at nesting depth depth: a tab, or that many spaces per level (4 in a file
// indented by 4), else two spaces.
func indentUnit(indent string, depth int) string {
	switch {
	case strings.HasPrefix(indent, "\t"):
		return "\t"
	case depth > 0 && strings.Trim(indent, " ") == "" && len(indent)%depth == 0 && len(indent)/depth >= 2:
		return indent[:len(indent)/depth]
	}
	return "  "
}

// --- TOML (.codex/config.toml) --------------------------------------------------------

const (
	tomlBegin = "# secoda-workbench:begin (managed by `secoda-workbench init`; edits here are replaced)"
	tomlEnd   = "# secoda-workbench:end"
)

// codexServer keeps [mcp_servers.secoda-workbench] in a marked block of the Codex config.
func (o Options) codexServer() func(old []byte, force bool) ([]byte, error) {
	return func(old []byte, force bool) ([]byte, error) {
		var b bytes.Buffer
		b.WriteString(tomlBegin + "\n[mcp_servers." + ServerName + "]\n")
		cmd, _ := json.Marshal(o.Command)
		fmt.Fprintf(&b, "command = %s\nargs = [\"serve\"]\n", cmd)
		b.WriteString("# passed through from the environment, by name: never a value here\n")
		b.WriteString("env_vars = [\"SECODA_API_URL\", \"SECODA_API_KEY\"]\nstartup_timeout_sec = 20\ntool_timeout_sec = 600\n")
		b.WriteString(tomlEnd)
		block := b.String()
		s := string(old)
		if old != nil {
			if err := checkUTF8(old); err != nil {
				return nil, err
			}
			if err := toml.Unmarshal(old, new(map[string]any)); err != nil {
				at := ""
				var de *toml.DecodeError
				if errors.As(err, &de) {
					line, col := de.Position()
					at = fmt.Sprintf("line %d, column %d: ", line, col)
				}
				return nil, fmt.Errorf("%w as TOML (%s%s); fix it and run init again", ErrMalformed, at, firstLine(strings.TrimPrefix(err.Error(), "toml: ")))
			}
		}
		if i := strings.Index(s, tomlBegin); i >= 0 {
			if j := strings.Index(s[i:], tomlEnd); j >= 0 {
				s = s[:i] + block + s[i+j+len(tomlEnd):]
				return []byte(s), checkTOML(s)
			}
		}
		if r, ok := tomlTable(old, "mcp_servers", ServerName); ok {
			if !force {
				return nil, fmt.Errorf("%w: it already defines [mcp_servers.%s] outside init's block; remove it or run init with --force", ErrEdited, ServerName)
			}
			s = s[:r[0]] + s[r[1]:]
		}
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		if s != "" {
			s += "\n"
		}
		s += block + "\n"
		return []byte(s), checkTOML(s)
	}
}

func checkTOML(s string) error {
	if err := toml.Unmarshal([]byte(s), new(map[string]any)); err != nil {
		return fmt.Errorf("the merged TOML does not parse (%s): nothing written", firstLine(err.Error()))
	}
	return nil
}

// tomlTable finds the byte range of a [a.b] table: its header to the next header.
func tomlTable(doc []byte, keys ...string) ([2]int, bool) {
	var p unstable.Parser
	p.Reset(doc)
	start := -1
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.Table && e.Kind != unstable.ArrayTable {
			continue
		}
		var parts []string
		offset := -1
		it := e.Key()
		for it.Next() {
			if offset < 0 {
				offset = int(it.Node().Raw.Offset)
			}
			parts = append(parts, string(it.Node().Data))
		}
		at := headerStart(doc, offset)
		if start >= 0 {
			return [2]int{start, commentsAbove(doc, start, at)}, true
		}
		if strings.Join(parts, ".") == strings.Join(keys, ".") {
			start = at
		}
	}
	if start >= 0 {
		return [2]int{start, len(doc)}, true
	}
	return [2]int{}, false
}

// commentsAbove moves a table's end, at (the next header's line), back over the comment
// lines right above that header: they describe the next table, not this one.
func commentsAbove(doc []byte, start, at int) int {
	for at > start {
		prev := bytes.LastIndexByte(doc[:at-1], '\n') + 1
		if prev < start || !bytes.HasPrefix(bytes.TrimLeft(doc[prev:at], " \t"), []byte("#")) {
			break
		}
		at = prev
	}
	return at
}

// headerStart is the start of the line holding offset.
func headerStart(doc []byte, offset int) int {
	return bytes.LastIndexByte(doc[:offset], '\n') + 1
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

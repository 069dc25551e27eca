package agents

import (
	"regexp"
	"strings"
)

// Code is a piece of code a skill or command shows: an inline span (`...`), or a fenced
// block with its language. The tests check each against what it names: the MCP tools,
// the CLI's commands and flags, the dataset's tables.
type Code struct {
	Inline bool
	Lang   string // a fence's info string ("sql"); "" for a span
	Text   string // a span's text with its white space collapsed; a block's lines
}

var inlineCode = regexp.MustCompile("`([^`]+)`")

// CodeIn lists the code of a Markdown text, fenced blocks first in the order they
// come, then the inline spans outside them. A fence is a line of three or more
// backticks (indented or not); an unclosed fence runs to the end.
func CodeIn(markdown string) []Code {
	var (
		out   []Code
		prose strings.Builder
		block []string
		fence string // the open fence's backticks; "" outside a block
		lang  string
	)
	for _, line := range strings.Split(markdown, "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		ticks := len(trimmed) - len(strings.TrimLeft(trimmed, "`"))
		switch {
		case fence == "" && ticks >= 3:
			fence, lang, block = trimmed[:ticks], strings.TrimSpace(trimmed[ticks:]), nil
		case fence != "" && ticks >= len(fence) && strings.TrimSpace(trimmed[ticks:]) == "":
			out = append(out, Code{Lang: lang, Text: strings.Join(block, "\n")})
			fence = ""
		case fence != "":
			block = append(block, trimmed)
		default:
			prose.WriteString(line + "\n")
		}
	}
	if fence != "" {
		out = append(out, Code{Lang: lang, Text: strings.Join(block, "\n")})
	}
	for _, m := range inlineCode.FindAllStringSubmatch(prose.String(), -1) {
		if text := strings.Join(strings.Fields(m[1]), " "); text != "" {
			out = append(out, Code{Inline: true, Text: text})
		}
	}
	return out
}

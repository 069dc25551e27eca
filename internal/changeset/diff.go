package changeset

import (
	"fmt"
	"strings"
)

// Diff is a unified diff of one change, for --dry-run.
func Diff(c Change) string {
	a, b := splitLines(string(c.Old)), splitLines(string(c.New))
	from := "a/" + c.Path
	if c.Old == nil {
		from = "/dev/null"
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ b/%s\n", from, c.Path)
	ops := lineOps(a, b)
	const ctx = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-ctx)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*ctx || run == len(ops) {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		aStart, bStart, aN, bN := ops[start].a, ops[start].b, 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				aN++
			}
			if op.kind != '-' {
				bN++
			}
		}
		// A range of no lines names the line before it (0 for a new file).
		aFrom, bFrom := aStart+1, bStart+1
		if aN == 0 {
			aFrom--
		}
		if bN == 0 {
			bFrom--
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", aFrom, aN, bFrom, bN)
		for _, op := range ops[start:end] {
			text, noEOL := strings.CutSuffix(op.text, "\n")
			out.WriteString(string(op.kind) + text + "\n")
			if noEOL {
				out.WriteString("\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return out.String()
}

type lineOp struct {
	kind rune // ' ', '-', '+'
	text string
	a, b int // line indexes before the op
}

// lineOps is the shortest edit between two line lists (a longest common subsequence;
// config files are small).
func lineOps(a, b []string) []lineOp {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []lineOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, lineOp{' ', a[i], i, j})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			// Removals before additions, as diff(1) and git show them.
			ops = append(ops, lineOp{'-', a[i], i, j})
			i++
		default:
			ops = append(ops, lineOp{'+', b[j], i, j})
			j++
		}
	}
	return ops
}

// splitLines cuts text into lines. A last line without its newline keeps a "\n" of
// its own, which no other line has: it then differs from the same text with a newline,
// as it does in the file, and Diff marks it.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if !strings.HasSuffix(s, "\n") {
		lines[len(lines)-1] += "\n"
	}
	return lines
}

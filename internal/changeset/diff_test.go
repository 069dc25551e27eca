package changeset

import (
	"fmt"
	"strings"
	"testing"
)

// lines numbers lines from first to last: "l1\nl2\n...".
func lines(first, last int) string {
	var b strings.Builder
	for i := first; i <= last; i++ {
		fmt.Fprintf(&b, "l%d\n", i)
	}
	return b.String()
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name     string
		old, new *string
		want     string
	}{
		{
			name: "created",
			old:  nil, new: ptr("a\nb\n"),
			want: "--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+a\n+b\n",
		},
		{
			name: "an empty file filled",
			old:  ptr(""), new: ptr("a\n"),
			want: "--- a/f\n+++ b/f\n@@ -0,0 +1,1 @@\n+a\n",
		},
		{
			name: "a change in the middle, with three lines of context each side",
			old:  ptr(lines(1, 20)), new: ptr(strings.Replace(lines(1, 20), "l10\n", "ten\nten and a half\n", 1)),
			want: "--- a/f\n+++ b/f\n@@ -7,7 +7,8 @@\n l7\n l8\n l9\n-l10\n+ten\n+ten and a half\n l11\n l12\n l13\n",
		},
		{
			name: "two changes far apart are two hunks",
			old:  ptr(lines(1, 20)), new: ptr(strings.Replace(strings.Replace(lines(1, 20), "l2\n", "", 1), "l18\n", "l18\neighteen\n", 1)),
			want: "--- a/f\n+++ b/f\n@@ -1,5 +1,4 @@\n l1\n-l2\n l3\n l4\n l5\n" +
				"@@ -16,5 +15,6 @@\n l16\n l17\n l18\n+eighteen\n l19\n l20\n",
		},
		{
			name: "two changes close together are one hunk",
			old:  ptr(lines(1, 12)), new: ptr(strings.Replace(strings.Replace(lines(1, 12), "l3\n", "three\n", 1), "l8\n", "eight\n", 1)),
			want: "--- a/f\n+++ b/f\n@@ -1,11 +1,11 @@\n l1\n l2\n-l3\n+three\n l4\n l5\n l6\n l7\n-l8\n+eight\n l9\n l10\n l11\n",
		},
		{
			name: "appended after a last line without a newline",
			old:  ptr("a\nb"), new: ptr("a\nb\nc\n"),
			want: "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n",
		},
		{
			name: "a last line without a newline kept",
			old:  ptr("a\nb\nc"), new: ptr("A\nb\nc"),
			want: "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n-a\n+A\n b\n c\n\\ No newline at end of file\n",
		},
		{
			name: "all removed",
			old:  ptr("a\n"), new: ptr(""),
			want: "--- a/f\n+++ b/f\n@@ -1,1 +0,0 @@\n-a\n",
		},
		{
			name: "no change",
			old:  ptr("a\n"), new: ptr("a\n"),
			want: "--- a/f\n+++ b/f\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Change{Path: "f", New: []byte(*tt.new)}
			if tt.old != nil {
				c.Old = []byte(*tt.old)
			}
			if got := Diff(c); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

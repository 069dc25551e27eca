package tools

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Reference is the README's tool reference, made from the definitions: each tool's
// parameters, whether it writes, and its description.
func Reference(all []Tool) string {
	var b strings.Builder
	b.WriteString("| tool | parameters | writes? | what it does |\n|---|---|---|---|\n")
	for _, t := range all {
		var schema struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		_ = json.Unmarshal(t.Def.RawInputSchema, &schema)
		required := map[string]bool{}
		for _, r := range schema.Required {
			required[r] = true
		}
		var params []string
		for p := range schema.Properties {
			if required[p] {
				params = append(params, "`"+p+"`")
			} else {
				params = append(params, "`"+p+"?`")
			}
		}
		sort.Strings(params)
		writes := "no"
		if t.Writes() {
			writes = "yes"
		}
		desc, _, _ := strings.Cut(t.Def.Description, ". ")
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", t.Def.Name, orDash(strings.Join(params, ", ")), writes, strings.TrimSuffix(desc, ".")+".")
	}
	return b.String()
}

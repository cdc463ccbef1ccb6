package importrules

import (
	"fmt"
	"regexp"
	"strings"
)

// codeSpan is a Markdown code span.
var codeSpan = regexp.MustCompile("`([^`]+)`")

// FirstColumn returns the code spans in the first column of the first
// table under the Markdown heading (a whole line, "## Layout"), each
// without a trailing slash. The error says what is missing.
func FirstColumn(markdown, heading string) ([]string, error) {
	lines := strings.Split(markdown, "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == heading {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return nil, fmt.Errorf("no heading %q", heading)
	}
	level := strings.Count(strings.Fields(heading)[0], "#")
	var out []string
	inTable := false
	for _, l := range lines[start:] {
		if f := strings.Fields(l); len(f) > 0 && strings.Trim(f[0], "#") == "" && len(f[0]) <= level {
			break // the next section at the same level or above
		}
		if !strings.HasPrefix(strings.TrimSpace(l), "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.TrimSpace(l), "|")
		if len(cells) < 2 {
			continue
		}
		for _, m := range codeSpan.FindAllStringSubmatch(cells[1], -1) {
			out = append(out, strings.TrimSuffix(m[1], "/"))
		}
	}
	if !inTable {
		return nil, fmt.Errorf("no table under the heading %q", heading)
	}
	return out, nil
}

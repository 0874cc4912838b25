package docs

import (
	"regexp"
	"strings"
	"testing"
)

var (
	target  = regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`)
	makeCmd = regexp.MustCompile("(?:^|[\\s`(\"$])make (?:-s )?([a-z][a-z0-9-]*)")
)

// TestMakeTargets checks that every `make TARGET` the pages name, in code
// spans and code blocks, is a target of the Makefile.
func TestMakeTargets(t *testing.T) {
	targets := map[string]bool{}
	for _, m := range target.FindAllStringSubmatch(readFile(t, "Makefile"), -1) {
		targets[m[1]] = true
	}
	if !targets["test"] || !targets["demo"] {
		t.Fatalf("found no test or demo target in the Makefile: %v", targets)
	}
	for _, file := range markdownFiles(t) {
		prose, code := split(readFile(t, file))
		var checked []line
		for _, l := range prose {
			checked = append(checked, line{l.n, strings.Join(codeSpans(l.text), " ` ")})
		}
		checked = append(checked, code...)
		for _, l := range checked {
			for _, m := range makeCmd.FindAllStringSubmatch(l.text, -1) {
				if !targets[m[1]] {
					t.Errorf("%s:%d: `make %s` is not a target of the Makefile", file, l.n, m[1])
				}
			}
		}
	}
}

// Package buildkitsuite holds the list of expected differences between
// BuildKit's own Dockerfile suite run with the builtin frontend and with this
// frontend's image (expected.txt, read by hack/buildkit-suite), and checks
// that every line of it is well formed and explained in the docs.
package buildkitsuite

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestEveryLossIsExplained: each line of expected.txt names a test, says
// how it is lost, points at a section of docs/compatibility.md that exists,
// and gives its reason; no test is listed twice.
func TestEveryLossIsExplained(t *testing.T) {
	doc, err := os.ReadFile("../../docs/compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(string(doc), -1) {
		anchors[slug(m[1])] = true
	}

	f, err := os.Open("expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 {
			t.Errorf("line %d: want TEST fail|panic docs/compatibility.md#ANCHOR reason: %q", n, line)
			continue
		}
		name, how, ref := fields[0], fields[1], fields[2]
		if !strings.HasPrefix(name, "Test") || seen[name] {
			t.Errorf("line %d: %q is not a test name, or is listed twice", n, name)
		}
		seen[name] = true
		if how != "fail" && how != "panic" {
			t.Errorf("line %d: %q: want fail or panic", n, how)
		}
		if how == "panic" && strings.Contains(name, "/") {
			t.Errorf("line %d: a panicking test runs apart as a whole: list %q without its subtest", n, name)
		}
		anchor, ok := strings.CutPrefix(ref, "docs/compatibility.md#")
		if !ok || !anchors[anchor] {
			t.Errorf("line %d: %q is not a section of docs/compatibility.md", n, ref)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// slug is GitHub's anchor of a Markdown heading.
func slug(heading string) string {
	s := strings.ToLower(strings.ReplaceAll(heading, " ", "-"))
	return regexp.MustCompile(`[^a-z0-9_-]`).ReplaceAllString(s, "")
}

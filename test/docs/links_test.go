package docs

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

var (
	link    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
)

// TestLinks checks every relative link of the pages: the file or folder
// exists, and an #anchor names a heading of the target page (GitHub's
// anchors). Links to other sites are not fetched.
func TestLinks(t *testing.T) {
	anchors := map[string]map[string]bool{}
	anchorsOf := func(rel string) map[string]bool {
		if a, ok := anchors[rel]; ok {
			return a
		}
		a := headingAnchors(readFile(t, rel))
		anchors[rel] = a
		return a
	}
	for _, file := range markdownFiles(t) {
		prose, _ := split(readFile(t, file))
		for _, l := range prose {
			for _, m := range link.FindAllStringSubmatch(l.text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				p, anchor, _ := strings.Cut(target, "#")
				rel := file
				if p != "" {
					rel = path.Join(path.Dir(file), p)
					if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
						t.Errorf("%s:%d: link %s: no file %s", file, l.n, target, rel)
						continue
					}
				}
				if anchor != "" && strings.HasSuffix(rel, ".md") && !anchorsOf(rel)[anchor] {
					t.Errorf("%s:%d: link %s: %s has no heading with anchor #%s", file, l.n, target, rel, anchor)
				}
			}
		}
	}
}

// headingAnchors returns the anchors GitHub gives a page's headings.
func headingAnchors(page string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	prose, _ := split(page)
	for _, l := range prose {
		m := heading.FindStringSubmatch(l.text)
		if m == nil {
			continue
		}
		a := slug(m[1])
		if n := seen[a]; n > 0 {
			anchors[a+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

// slug is GitHub's anchor of a heading: lower case, letters, digits, '-'
// and '_' kept, spaces made '-', everything else dropped.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

func TestSlug(t *testing.T) {
	for h, want := range map[string]string{
		"Waiting for the restart: `restart --wait`":          "waiting-for-the-restart-restart---wait",
		"Tilt's live update fails":                           "tilts-live-update-fails",
		"A restart is slow, or the app misbehaves after one": "a-restart-is-slow-or-the-app-misbehaves-after-one",
		"RESTART_LISTEN":                                     "restart_listen",
	} {
		if got := slug(h); got != want {
			t.Errorf("slug(%q) = %q, want %q", h, got, want)
		}
	}
}

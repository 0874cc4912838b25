package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository, from this package's folder.
const root = "../.."

// markdownFiles are the pages whose links and make targets are checked,
// relative to root: the README, CONTRIBUTING.md, the changelog, docs/ and
// the examples' READMEs.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "CONTRIBUTING.md", "CHANGELOG.md"}
	for _, dir := range []string{"docs", "examples"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".md") {
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var fence = regexp.MustCompile("^\\s*(```|~~~)")

// split returns a page's prose lines and its code lines (inside fences),
// each with its line number.
func split(page string) (prose, code []line) {
	in := false
	for i, l := range strings.Split(page, "\n") {
		if fence.MatchString(l) {
			in = !in
			continue
		}
		if in {
			code = append(code, line{i + 1, l})
		} else {
			prose = append(prose, line{i + 1, l})
		}
	}
	return prose, code
}

type line struct {
	n    int
	text string
}

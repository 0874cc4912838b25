package supervisor

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// docSection returns the lines of doc.go's code blocks (tab-indented
// comment lines) under the heading "# name", without the comment marks.
func docSection(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "// # ") {
			in = line == "// # "+name
			continue
		}
		if in && strings.HasPrefix(line, "//\t") {
			lines = append(lines, strings.TrimPrefix(line, "//\t"))
		}
	}
	if len(lines) == 0 {
		t.Fatalf("doc.go has no code block under # %s", name)
	}
	return lines
}

// TestDocStateTable checks doc.go's state-by-event table against next, the
// transition function, so that neither changes alone.
func TestDocStateTable(t *testing.T) {
	lines := docSection(t, "States")
	header := strings.Fields(lines[0])
	want := []string{"state"}
	for e := range nEvents {
		want = append(want, e.String())
	}
	if !slices.Equal(header, want) {
		t.Fatalf("table header %q, want %q", header, want)
	}
	stateOf := map[string]state{}
	for s := range nStates {
		stateOf[s.String()] = s
	}
	rows := 0
	for _, line := range lines[1:] {
		cells := strings.Fields(line)
		if cells[0] == "*" || cells[0] == "+" {
			continue // the marks' notes
		}
		if len(cells) != len(header) {
			t.Errorf("row %q has %d cells, want %d", line, len(cells), len(header))
			continue
		}
		from, ok := stateOf[cells[0]]
		if !ok {
			t.Errorf("row %q: no state %q", line, cells[0])
			continue
		}
		if int(from) != rows {
			t.Errorf("row %q: states are not in their order", line)
		}
		rows++
		for i, cell := range cells[1:] {
			e := event(i)
			base := guards{leftovers: true}
			to, mark := strings.TrimRight(cell, "*+"), strings.TrimLeft(cell, "abcdefghijklmnopqrstuvwxyz-")
			wantTo := from
			if to != "-" {
				if wantTo, ok = stateOf[to]; !ok {
					t.Errorf("%v on %v: no state %q", from, e, to)
					continue
				}
			}
			if got := next(from, e, base); got != wantTo {
				t.Errorf("next(%v, %v) = %v, doc.go says %v", from, e, got, wantTo)
			}
			// A mark names the guard that changes the cell; unmarked cells
			// hold whatever the guards.
			keep, noLeft := wantTo, wantTo
			switch mark {
			case "*":
				keep = idle
			case "+":
				noLeft = running
			case "":
			default:
				t.Errorf("%v on %v: unknown mark %q", from, e, mark)
			}
			if got := next(from, e, guards{keepGoing: true, leftovers: true}); got != keep {
				t.Errorf("next(%v, %v) under exit policy continue = %v, doc.go says %v", from, e, got, keep)
			}
			if got := next(from, e, guards{}); got != noLeft {
				t.Errorf("next(%v, %v) with nothing left = %v, doc.go says %v", from, e, got, noLeft)
			}
		}
	}
	if rows != int(nStates) {
		t.Errorf("doc.go's table has %d states, the lifecycle %d", rows, nStates)
	}
}

// TestDocFileMap checks that doc.go's file map names every file and package
// directory of the package, and nothing else.
func TestDocFileMap(t *testing.T) {
	var listed []string
	for _, line := range docSection(t, "Files") {
		names, _, _ := strings.Cut(line, "  ")
		for _, n := range strings.Split(names, ", ") {
			listed = append(listed, strings.TrimSpace(n))
		}
	}
	var files []string
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		if dir := filepath.Dir(p); dir != "." {
			p = filepath.ToSlash(dir) + "/"
		}
		if !slices.Contains(files, p) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	slices.Sort(files)
	if !slices.Equal(listed, files) {
		t.Errorf("doc.go's file map lists\n%q\nthe package has\n%q", listed, files)
	}
}

//go:build linux

package dirent

import (
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/testfs"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	want := []string{"a", "dir", "with space", "ünïcode"}
	for i := 0; i < 300; i++ { // more than one getdents buffer
		want = append(want, "file-with-a-long-name-"+strconv.Itoa(i))
	}
	for _, name := range want {
		if name == "dir" {
			testfs.Mkdir(t, filepath.Join(dir, name), 0o755)
		} else {
			testfs.WriteFile(t, filepath.Join(dir, name), nil, 0o644)
		}
	}
	var got []string
	types := map[string]uint8{}
	if err := Read(dir, func(name string, typ uint8) {
		got = append(got, name)
		types[name] = typ
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("entry %d: %q, want %q", i, got[i], want[i])
		}
	}
	if types["dir"] != Dir && types["dir"] != Unknown {
		t.Errorf("dir has type %d", types["dir"])
	}
	if err := Read(filepath.Join(dir, "missing"), func(string, uint8) {}); err == nil {
		t.Error("no error for a missing directory")
	}
}

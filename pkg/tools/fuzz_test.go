package tools

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzTar extracts arbitrary archives into a folder next to another, and
// checks that nothing outside the first was made or changed: no name,
// link, hard link or folder-over-link may lead there. A failed extraction
// is fine; a panic or a write outside is not.
func FuzzTar(f *testing.F) {
	link := func(typ byte, name, target string) entry {
		return entry{hdr: tar.Header{Name: name, Typeflag: typ, Linkname: target}}
	}
	dir := func(name string, mode int64) entry {
		return entry{hdr: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode}}
	}
	for _, entries := range [][]entry{
		{dir("app/", 0o755), file("app/main.py", "print()", 0o644), link(tar.TypeSymlink, "app/cur", "main.py")},
		{file("../outside/kept", "x", 0o644)},
		{link(tar.TypeSymlink, "out", "../outside"), file("out/kept", "x", 0o644), dir("out/", 0o777)},
		{link(tar.TypeSymlink, "kept", "../outside/kept"), dir("kept", 0o700), file("kept", "x", 0o4755)},
		{link(tar.TypeLink, "hard", "../outside/kept"), file("hard", "x", 0o644)},
		{file("//etc/x", "x", 0o644), link(tar.TypeLink, "y", "//etc/x"), dir("/sticky", 0o1777)},
		{dir("ro", 0o500), file("ro/f", "x", 0o000)},
	} {
		f.Add(archive(f, entries...))
	}
	// Made once for each worker: an execution makes and removes only its
	// destination, which halves the metadata writes of a run.
	parent := f.TempDir()
	outside := filepath.Join(parent, "outside")
	kept := filepath.Join(outside, "kept")
	stamp := time.Unix(1600000000, 0)
	if err := os.Mkdir(outside, 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(kept, []byte("kept"), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.Chtimes(kept, stamp, stamp); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		dest, err := os.MkdirTemp(parent, "dest")
		if err != nil {
			t.Fatal(err)
		}
		defer removeAll(t, dest)

		_ = extract(bytes.NewReader(in), dest, os.Geteuid() == 0, io.Discard)

		for _, p := range []string{parent, outside} {
			names, err := os.ReadDir(p)
			if err != nil || len(names) != 2 && p == parent || len(names) != 1 && p == outside {
				t.Fatalf("%s holds %v (%v) after extracting into %s", p, names, err, dest)
			}
		}
		fi, err := os.Lstat(kept)
		if err != nil || fi.Mode() != 0o644 || !fi.ModTime().Equal(stamp) {
			t.Fatalf("%s was changed: %v", kept, err)
		}
		if got, err := os.ReadFile(kept); err != nil || string(got) != "kept" {
			t.Fatalf("%s = %q, %v", kept, got, err)
		}
	})
}

// removeAll removes dir, first giving its owner every right on the folders
// under it, which an archive may have taken away from a user other than
// root.
func removeAll(t *testing.T, dir string) {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chmod(p, 0o700)
		}
		return err
	})
	if err == nil {
		err = os.RemoveAll(dir)
	}
	if err != nil {
		t.Errorf("removing %s: %v", dir, err)
	}
}

package tools

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type entry struct {
	hdr  tar.Header
	data string
}

func archive(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		hdr.Size = int64(len(e.data))
		if hdr.ModTime.IsZero() {
			hdr.ModTime = time.Unix(1700000000, 0)
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func file(name, data string, mode int64) entry {
	return entry{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode}, data: data}
}

func TestTarExtractsWhatTiltSends(t *testing.T) {
	dir := t.TempDir()
	// What is already there gets replaced: a file, and a symlink that must
	// be replaced rather than written through.
	if err := os.WriteFile(filepath.Join(dir, "old.txt"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	in := archive(t,
		entry{hdr: tar.Header{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o750}},
		file("app/main.py", "print('v2')\n", 0o644),
		file("app/run.sh", "#!/bin/sh\n", 0o755),
		file("app/deep/new/file", "made its parents\n", 0o640),
		entry{hdr: tar.Header{Name: "app/current", Typeflag: tar.TypeSymlink, Linkname: "main.py"}},
		file("old.txt", "new", 0o644),
		file("link.txt", "a file now", 0o644),
	)
	var stderr bytes.Buffer
	if code := Tar([]string{"-C", dir, "-x", "-f", "-"}, bytes.NewReader(in), &stderr); code != 0 {
		t.Fatalf("tar exited %d: %s", code, stderr.String())
	}
	for name, want := range map[string]string{
		"app/main.py": "print('v2')\n", "app/deep/new/file": "made its parents\n",
		"app/current": "print('v2')\n", "old.txt": "new", "link.txt": "a file now",
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	for name, want := range map[string]os.FileMode{"app": 0o750 | os.ModeDir, "app/run.sh": 0o755, "app/deep/new/file": 0o640, "old.txt": 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("%s mode = %v, %v; want %v", name, fi.Mode(), err, want)
		}
	}
	if got, _ := os.ReadFile(outside); string(got) != "untouched" {
		t.Errorf("tar wrote through a symlink to %s: %q", outside, got)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "app/main.py")); !fi.ModTime().Equal(time.Unix(1700000000, 0)) {
		t.Errorf("mtime = %v", fi.ModTime())
	}
}

func TestTarStaysInsideItsFolder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []entry
	}{
		{"a .. path", []entry{file("../escaped", "x", 0o644)}},
		{"a symlink out, then a file through it", []entry{
			{hdr: tar.Header{Name: "out", Typeflag: tar.TypeSymlink, Linkname: "../"}},
			file("out/escaped", "x", 0o644),
		}},
		{"an absolute symlink, then a file through it", []entry{
			{hdr: tar.Header{Name: "abs", Typeflag: tar.TypeSymlink, Linkname: "/tmp"}},
			file("abs/escaped", "x", 0o644),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "dir")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			code := Tar([]string{"-xf", "-", "-C", dir}, bytes.NewReader(archive(t, tc.entries...)), &stderr)
			if _, err := os.Stat(filepath.Join(parent, "escaped")); err == nil {
				t.Fatal("an entry was written outside the folder")
			}
			if _, err := os.Stat("/tmp/escaped"); err == nil {
				t.Fatal("an entry was written to /tmp")
			}
			if code != 1 || !strings.Contains(stderr.String(), "escaped") {
				t.Errorf("exit %d, stderr %q; want 1 and the entry named", code, stderr.String())
			}
		})
	}
}

func TestTarRefusesWhatItCannotDo(t *testing.T) {
	for _, args := range [][]string{{"-c", "-f", "-", "."}, {"-t", "-f", "-"}, {"-f", "-"}, {"-x", "-f"}, {"-x", "-z", "-f", "-"}, {"-x", "-f", "-", "only/this"}} {
		var stderr bytes.Buffer
		if code := Tar(args, strings.NewReader(""), &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("tar %q: exit %d, stderr %q; want 2 and a reason", args, code, stderr.String())
		}
	}
}

package tools

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// extractTo extracts the archive into a new folder as Tar does, as root or
// not, and returns the folder and what the extraction said.
func extractTo(t *testing.T, in []byte, asRoot bool) (string, string, error) {
	t.Helper()
	dir := t.TempDir()
	var stderr bytes.Buffer
	err := extract(bytes.NewReader(in), dir, asRoot, &stderr)
	return dir, stderr.String(), err
}

// The modes GNU tar 1.34 gives: as root, every bit of the archive's; as
// another user with -p (which this tar's behaviour is, bar the umask), the
// sticky bit and, unlike this tar, set-id bits on files the user owns.
func TestTarModes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		typ    byte
		mode   int64
		asRoot bool
		want   fs.FileMode
	}{
		{"set-uid file as root", tar.TypeReg, 0o4755, true, 0o755 | fs.ModeSetuid},
		{"set-gid file as root", tar.TypeReg, 0o2750, true, 0o750 | fs.ModeSetgid},
		{"sticky folder as root", tar.TypeDir, 0o1777, true, 0o777 | fs.ModeSticky | fs.ModeDir},
		{"set-gid folder as root", tar.TypeDir, 0o2775, true, 0o775 | fs.ModeSetgid | fs.ModeDir},
		{"every bit as root", tar.TypeReg, 0o7777, true, 0o777 | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky},
		{"set-id file as a user", tar.TypeReg, 0o6755, false, 0o755},
		{"sticky folder as a user", tar.TypeDir, 0o3777, false, 0o777 | fs.ModeSticky | fs.ModeDir},
		{"no umask", tar.TypeReg, 0o666, false, 0o666},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := archive(t, entry{hdr: tar.Header{Name: "x", Typeflag: tc.typ, Mode: tc.mode}})
			dir, _, err := extractTo(t, in, tc.asRoot)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(filepath.Join(dir, "x"))
			if err != nil || fi.Mode() != tc.want {
				t.Errorf("mode %o gave %v, %v; want %v", tc.mode, fi.Mode(), err, tc.want)
			}
		})
	}
}

// GNU tar 1.34 replaces a file, or a link even to a folder, with the
// archive's folder: `tar -xf` of a folder entry x over a file x leaves a
// folder x. It must not change the file or the link's target instead.
func TestTarReplacesANonFolderWithAFolder(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "file"), []byte("old"), 0o640))
	must(os.WriteFile(filepath.Join(dir, "target"), []byte("kept"), 0o640))
	must(os.Symlink("target", filepath.Join(dir, "to-file")))
	must(os.Mkdir(filepath.Join(dir, "real"), 0o755))
	must(os.Symlink("real", filepath.Join(dir, "to-folder")))
	var entries []entry
	for _, name := range []string{"file", "to-file", "to-folder"} {
		entries = append(entries, entry{hdr: tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o700, Uid: 12345}})
	}
	var stderr bytes.Buffer
	if err := extract(bytes.NewReader(archive(t, entries...)), dir, true, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"file", "to-file", "to-folder"} {
		if fi, err := os.Lstat(filepath.Join(dir, name)); err != nil || fi.Mode() != fs.ModeDir|0o700 {
			t.Errorf("%s: %v, %v; want a folder of mode 0700", name, fi.Mode(), err)
		}
	}
	for name, want := range map[string]fs.FileMode{"target": 0o640, "real": fs.ModeDir | 0o755} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || fi.Mode() != want || fi.Sys().(*syscall.Stat_t).Uid == 12345 {
			t.Errorf("%s was changed through a link: %v, %v", name, fi.Mode(), err)
		}
	}
}

// GNU tar 1.34 extracts "//etc/abs" as etc/abs and says
// "tar: Removing leading `//' from member names", once for each prefix,
// and likewise for hard link targets.
func TestTarStripsLeadingSlashes(t *testing.T) {
	in := archive(t,
		file("//etc/abs", "a", 0o644),
		file("/one", "b", 0o644),
		file("/two", "c", 0o644),
		file("///deep/three", "d", 0o644),
		entry{hdr: tar.Header{Name: "hard", Typeflag: tar.TypeLink, Linkname: "//one"}},
	)
	dir, stderr, err := extractTo(t, in, true)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"etc/abs": "a", "one": "b", "two": "c", "deep/three": "d", "hard": "b"} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	want := "tar: Removing leading `//' from member names\n" +
		"tar: Removing leading `/' from member names\n" +
		"tar: Removing leading `///' from member names\n" +
		"tar: Removing leading `//' from hard link targets\n"
	if stderr != want {
		t.Errorf("stderr = %q; want %q", stderr, want)
	}
}

// GNU tar expands sparse files; this tar refuses them rather than write a
// file of their full size, which an archive of a few blocks can make huge.
// The archives are what `tar --sparse` writes, in the old GNU format and in
// PAX with --sparse-version=0.0, 0.1 and 1.0, for a file of 64 MiB of holes.
func TestTarRefusesSparseFiles(t *testing.T) {
	const size = "67108864" // small enough that a regression cannot fill the disk
	// One empty block, in the block at the start of the data.
	sparseMap1x0 := "1\n0\n0\n" + strings.Repeat("\x00", 512-6)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"old GNU", archive(t, entry{hdr: tar.Header{Name: "big", Typeflag: tar.TypeGNUSparse, Format: tar.FormatGNU}})},
		{"PAX 0.0", withPAXRecords(t, "big", "", "GNU.sparse.size", size, "GNU.sparse.numblocks", "1",
			"GNU.sparse.offset", "0", "GNU.sparse.numbytes", "0")},
		{"PAX 0.1", withPAXRecords(t, "big", "", "GNU.sparse.size", size, "GNU.sparse.numblocks", "1", "GNU.sparse.map", "0,0")},
		{"PAX 1.0", withPAXRecords(t, "GNUSparseFile.0/big", sparseMap1x0,
			"GNU.sparse.major", "1", "GNU.sparse.minor", "0", "GNU.sparse.name", "big", "GNU.sparse.realsize", size)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, err := extractTo(t, tc.in, true)
			if err == nil || !strings.Contains(err.Error(), "sparse") {
				t.Errorf("error %v; want one about sparse files", err)
			}
			if _, serr := os.Lstat(filepath.Join(dir, "big")); serr == nil {
				t.Error("the sparse file was written")
			}
		})
	}
}

// withPAXRecords is an archive of the file name with data, after a PAX
// header with the records (key, value, ...). archive/tar does not write
// GNU.sparse records, so the header is written as a file and then retyped.
func withPAXRecords(t *testing.T, name, data string, records ...string) []byte {
	t.Helper()
	var pax strings.Builder
	for i := 0; i < len(records); i += 2 {
		rec := " " + records[i] + "=" + records[i+1] + "\n"
		n := len(rec) + 1
		for len(strconv.Itoa(n)+rec) != n {
			n++
		}
		pax.WriteString(strconv.Itoa(n) + rec)
	}
	in := archive(t, file("PaxHeaders/"+name, pax.String(), 0o644), file(name, data, 0o644))
	in[156] = tar.TypeXHeader
	copy(in[148:156], "        ")
	sum := 0
	for _, b := range in[:512] {
		sum += int(b)
	}
	copy(in[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return in
}

package tools

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// GNU rm refuses these operands with or without -r: `rm -rf x/..` says
// "refusing to remove '.' or '..' directory: skipping 'x/..'". The cases
// for / go without -r, so that a regression cannot empty the machine: the
// refusal comes before the recursion either way.
func TestRmRefusesTheRootAndDots(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", "/"}, "root folder"},
		{[]string{"-f", "//"}, "root folder"},
		{[]string{"-f", "/tmp/../"}, "'.' or '..'"},
		{[]string{"-rf", "."}, "'.' or '..'"},
		{[]string{"-rf", ".."}, "'.' or '..'"},
		{[]string{"-rf", "DIR/sub/."}, "'.' or '..'"},
		{[]string{"-rf", "DIR/sub/.."}, "'.' or '..'"},
		{[]string{"-rf", "DIR/sub/./"}, "'.' or '..'"},
		{[]string{"-rf", "DIR/sub/..//"}, "'.' or '..'"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "sub/kept"), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Chdir(filepath.Join(dir, "sub/kept"))
			args := []string{tc.args[0], strings.Replace(tc.args[1], "DIR", dir, 1)}
			var stderr bytes.Buffer
			code := Rm(args, &stderr)
			if _, err := os.Stat(filepath.Join(dir, "sub/kept")); err != nil {
				t.Fatalf("rm %q removed what it should have refused: %v", args, err)
			}
			if code != 1 || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), args[1]) {
				t.Errorf("rm %q: exit %d, stderr %q; want 1 and %q with the operand", args, code, stderr.String(), tc.want)
			}
		})
	}
}

// Like GNU rm --one-file-system: `rm -rf --one-file-system x` with a tmpfs
// on x/m says "skipping 'x/m', since it's on a different device", exits 1
// and removes the rest.
func TestRmStaysOnOneFileSystem(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "tree/mnt")
	for _, p := range []string{mnt, filepath.Join(dir, "tree/sub")} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, ""); errors.Is(err, unix.EPERM) {
		t.Skipf("mounting a tmpfs needs CAP_SYS_ADMIN: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			t.Errorf("unmounting %s: %v", mnt, err)
		}
	})
	for _, p := range []string{filepath.Join(mnt, "inside"), filepath.Join(dir, "tree/sub/f")} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var stderr bytes.Buffer
	code := Rm([]string{"-rf", filepath.Join(dir, "tree")}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), mnt) || !strings.Contains(stderr.String(), "another file system") {
		t.Errorf("exit %d, stderr %q; want 1 and the mount point named", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(mnt, "inside")); err != nil {
		t.Errorf("rm -rf went into the mount point: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tree/sub")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rm -rf left tree/sub: %v", err)
	}
}

func TestRm(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "tree/sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "tree/sub/f"), nil, 0o644))
	must(os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	outside := t.TempDir()
	must(os.WriteFile(filepath.Join(outside, "kept"), nil, 0o644))
	must(os.Symlink(outside, filepath.Join(dir, "tree/link")))

	var stderr bytes.Buffer
	if code := Rm([]string{"-rf", filepath.Join(dir, "tree"), filepath.Join(dir, "file"), filepath.Join(dir, "missing")}, &stderr); code != 0 {
		t.Fatalf("rm -rf exited %d: %s", code, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
	if _, err := os.Stat(filepath.Join(outside, "kept")); err != nil {
		t.Errorf("rm -rf followed a symlink: %v", err)
	}
	must(os.Mkdir(filepath.Join(dir, "folder"), 0o755))
	for _, args := range [][]string{{filepath.Join(dir, "folder")}, {filepath.Join(dir, "missing")}} {
		stderr.Reset()
		if code := Rm(args, &stderr); code != 1 || stderr.Len() == 0 {
			t.Errorf("rm %q: exit %d, stderr %q; want 1 and a reason", args, code, stderr.String())
		}
	}
}

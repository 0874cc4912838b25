//go:build linux

package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadStamp: what PID 1 reads of the trigger never follows a link,
// never blocks and never grows, whatever someone put there.
func TestReadStamp(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "trigger")
	if err := os.WriteFile(file, []byte("1700000000123456789\n"+strings.Repeat("x", 1<<20)), 0o666); err != nil {
		t.Fatal(err)
	}
	got, err := readStamp(file)
	if err != nil || len(got) != maxStamp || !strings.HasPrefix(string(got), "1700000000123456789\n") {
		t.Errorf("a big trigger: %q, %v; want its first %d bytes", got, err, maxStamp)
	}
	link := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{"a link to /dev/zero": link, "a FIFO": fifo, "a folder": dir} {
		if got, err := readStamp(p); err == nil {
			t.Errorf("%s: read %q, want an error", name, got)
		}
	}
}

// TestTouchTriggerRefuses: restart, often root, writes through no link and
// into nothing but a regular file, and leaves what it refused untouched.
func TestTouchTriggerRefuses(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "passwd")
	if err := os.WriteFile(target, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "trigger")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	err := touchTrigger(link, time.Now())
	if !errors.Is(err, errTriggerLink) {
		t.Errorf("through a link: %v, want %v", err, errTriggerLink)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "root:x:0:0\n" {
		t.Errorf("the link's target changed: %q, %v", b, err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := touchTrigger(fifo, time.Now()); err == nil {
		t.Error("into a FIFO: no error")
	}
	if err := touchTrigger(filepath.Join(dir, "new"), time.Unix(0, 42)); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "new")); err != nil || string(b) != "42\n" {
		t.Errorf("a new trigger holds %q, %v; want the stamp", b, err)
	}
}

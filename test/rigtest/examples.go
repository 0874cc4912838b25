package rigtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/testfs"
)

// CopyExample copies examples/NAME into a temp dir the test may change. The
// test runs in a folder two levels below the repository's root (test/X).
func CopyExample(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples", name))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// GoBuild compiles the Go program in dir to out for linux/arch, as the
// examples' Tiltfiles do on the developer's machine.
func GoBuild(t *testing.T, dir, out, arch string) {
	t.Helper()
	if arch == "" {
		arch = runtime.GOARCH
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, b)
	}
}

// Edit replaces old by new in the file rel of dir, once; old must be there.
func Edit(t *testing.T, dir, rel, old, new string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	WriteFile(t, dir, rel, strings.Replace(string(b), old, new, 1))
}

// WriteFile writes content to the file rel of dir, keeping its mode if it
// exists.
func WriteFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(p); err == nil {
		mode = fi.Mode()
	}
	testfs.MkdirAll(t, filepath.Dir(p), 0o755)
	testfs.WriteFile(t, p, []byte(content), mode)
}

// PidIn returns the first "pid N" number of an output line.
func PidIn(t *testing.T, line string) string {
	t.Helper()
	m := regexp.MustCompile(`pid (\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no pid in %q", line)
	}
	return m[1]
}

// HasProc reports whether a process of procs (pid → command line) has
// substr in its command line.
func HasProc(procs map[string]string, substr string) bool {
	for _, args := range procs {
		if strings.Contains(args, substr) {
			return true
		}
	}
	return false
}

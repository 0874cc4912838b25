package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The supervisor ships in every image built through the frontend and runs as
// its PID 1, so what it links is kept to a list, as Go's own
// go/build/deps_test.go keeps the standard library's layers. Many comments in
// pkg/supervisor justify hand-written code by what a standard package would
// add (fmt, flag, os/exec, encoding/json, net, log...); this test is what
// holds them to it.
//
// A package may join the list when the supervisor needs it and the binary's
// size allows it: raise sizeCeiling in the same change, with the new size.

// allowedStd are the standard packages the supervisor may link, besides the
// standard library's internal ones, which come only through these.
var allowedStd = []string{
	"bytes", "cmp", "context", "encoding/binary", "errors", "hash", "hash/fnv",
	"io", "io/fs", "iter", "math", "math/bits", "net/netip", "os", "os/signal",
	"path", "reflect", "runtime", "slices", "sort", "strconv", "strings",
	"sync", "sync/atomic", "syscall", "time", "unicode", "unicode/utf8",
	"unique", "unsafe", "weak",
}

// allowedOther are the packages outside the standard library it may link.
var allowedOther = []string{
	"golang.org/x/sys/unix",
	"github.com/tilt-dev/restart-frontend/cmd/supervisor",
	"github.com/tilt-dev/restart-frontend/pkg/contract",
	"github.com/tilt-dev/restart-frontend/pkg/options",
	"github.com/tilt-dev/restart-frontend/pkg/supervisor",
	"github.com/tilt-dev/restart-frontend/pkg/supervisor/internal/alarm",
	"github.com/tilt-dev/restart-frontend/pkg/supervisor/internal/dirent",
	"github.com/tilt-dev/restart-frontend/pkg/supervisor/watch",
	"github.com/tilt-dev/restart-frontend/pkg/version",
}

// sizeCeiling bounds the linux/amd64 binary built as the Dockerfile builds
// it. Measured with Go 1.26.8 (the Dockerfile's GO_VERSION is 1.26):
// 1,904,766 bytes, then 1,937,534 with the status socket's proofs and limits,
// the trigger read through no link, and one flag parser (issues 28 and 29);
// the ceiling leaves about 1% for growth that needs no thought.
const sizeCeiling = 1_957_000

// buildEnv builds for the platform the size is measured on, without cgo,
// as the Dockerfile does, whatever the host and the caller's GOFLAGS.
func buildEnv() []string {
	return append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
}

func goTool(t *testing.T) string {
	t.Helper()
	// `go test` puts its own go first on the PATH.
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test runs the go command: %v", err)
	}
	return gotool
}

func TestSupervisorLinksOnlyAllowedPackages(t *testing.T) {
	cmd := exec.Command(goTool(t), "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}} {{join .Imports \",\"}}", ".")
	cmd.Env = buildEnv()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, exitStderr(err))
	}
	importers := map[string][]string{} // package -> the packages that import it
	var linked, unlisted []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			t.Fatalf("go list printed %q, want a package, whether it is standard and its imports", line)
		}
		pkg, std := fields[0], fields[1] == "true"
		linked = append(linked, pkg)
		if len(fields) == 3 {
			for _, imp := range strings.Split(fields[2], ",") {
				importers[imp] = append(importers[imp], pkg)
			}
		}
		stdInternal := std && (strings.HasPrefix(pkg, "internal/") || strings.Contains(pkg, "/internal/") || strings.HasPrefix(pkg, "vendor/"))
		if stdInternal || (std && slices.Contains(allowedStd, pkg)) || (!std && slices.Contains(allowedOther, pkg)) {
			continue
		}
		unlisted = append(unlisted, pkg)
	}
	// go list prints a package before those that import it: name the
	// importers once all are known.
	for _, pkg := range unlisted {
		t.Errorf("the supervisor links %s (imported by %s), which is not on the list in cmd/supervisor/lean_test.go: "+
			"do without it, or add it there and check sizeCeiling", pkg, strings.Join(importers[pkg], ", "))
	}
	// The list is not a wish list: a package that is no longer linked
	// leaves it, so that linking it again is a decision.
	for _, pkg := range slices.Concat(allowedStd, allowedOther) {
		if !slices.Contains(linked, pkg) {
			t.Errorf("the supervisor no longer links %s: remove it from the list in cmd/supervisor/lean_test.go", pkg)
		}
	}
}

func TestSupervisorSize(t *testing.T) {
	if testing.Short() {
		// With a cold build cache this compiles the standard library for
		// linux/amd64 with -trimpath: about 40 s on 2 cores.
		t.Skip("builds the supervisor (about 40 s with a cold cache); runs without -short")
	}
	bin := filepath.Join(t.TempDir(), "supervisor")
	cmd := exec.Command(goTool(t), "build", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", bin, ".")
	cmd.Env = buildEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > sizeCeiling {
		t.Errorf("the linux/amd64 supervisor is %d bytes, over the ceiling of %d: find what grew it (go tool nm -size -sort size), "+
			"or raise sizeCeiling in cmd/supervisor/lean_test.go with the reason", st.Size(), sizeCeiling)
	}
	t.Logf("the linux/amd64 supervisor is %d bytes (ceiling %d)", st.Size(), sizeCeiling)
}

// exitStderr is what a failed command printed on stderr.
func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSubrequestsAreUpstreams runs `docker buildx build --call` through our
// frontend and through the upstream dockerfile frontend image of the same
// BuildKit version: the answers must be the same.
func TestSubrequestsAreUpstreams(t *testing.T) {
	d := docker20()
	// "as" in lower case next to an upper-case FROM is a lint warning
	// (FromAsCasing), so `check` has something to report.
	const body = "FROM busybox as base\nARG GREETING=hello\nRUN echo $GREETING\n\nFROM base AS final\nCMD [\"true\"]\n"
	for _, call := range []string{"targets", "outline", "check"} {
		t.Run(call, func(t *testing.T) {
			t.Parallel()
			ours := callBuildx(t, d, call, "# syntax=tiltdev/restart-frontend\n"+body)
			upstream := callBuildx(t, d, call, "# syntax=docker/dockerfile:1\n"+body)
			if ours != upstream {
				t.Errorf("--call %s differs from upstream\nours:\n%s\nupstream:\n%s", call, ours, upstream)
			}
			if ours == "" {
				t.Errorf("--call %s printed nothing", call)
			}
		})
	}
}

// callBuildx runs `docker buildx build --call call` on a Dockerfile and
// returns what it printed on stdout (the answer, not the progress), with the
// temporary folder and the syntax line, which differ between runs, masked.
func callBuildx(t *testing.T, d *daemon, call, dockerfile string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	// check exits non-zero when it finds a warning; the answer is still on
	// stdout. Any other call must succeed.
	out, err := d.tryRun(nil, "docker", "buildx", "build", "--builder", "rig", "--progress", "quiet", "--call", call, dir)
	if err != nil && call != "check" {
		t.Fatalf("docker buildx build --call %s: %v", call, err)
	}
	syntax, _, _ := strings.Cut(dockerfile, "\n")
	return strings.NewReplacer(dir, "DIR", syntax, "# syntax=...").Replace(strings.TrimSpace(out))
}

package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// testWrapBuiltImage checks the recipe docs/migrating-from-restart-process.md
// gives for custom_build_with_restart: an image built by another tool (here
// a plain `docker build`, standing for ko, Bazel, Jib or buildpacks) is made
// restartable by `docker build --build-arg BASE=IMAGE - < restart.Dockerfile`
// with a three-line Dockerfile that starts FROM it. Its ENTRYPOINT and CMD
// are the built image's, run under the supervisor.
func testWrapBuiltImage(t *testing.T, d *daemon) {
	t.Parallel()
	base := t.TempDir()
	// The app prints a sum the shell computes: the supervisor's own log line
	// quotes the command, so the command's literal text cannot tell a new
	// generation's start.
	rigtest.WriteFile(t, base, "Dockerfile", "FROM busybox\nCMD [\"sh\", \"-c\", \"echo built elsewhere, pid $$, sum $((20+22)); exec sleep 600\"]\n")
	baseImage := os.Getenv("RIG_REGISTRY") + "/e2e/built-elsewhere:docker"
	d.run(t, nil, "docker", "build", "-q", "-t", baseImage, base)

	image := os.Getenv("RIG_REGISTRY") + "/e2e/built-elsewhere-restart:docker"
	d.run(t, []byte("# syntax=tiltdev/restart-frontend\nARG BASE\nFROM ${BASE}\n"),
		"docker", "build", "-q", "-t", image, "--build-arg", "BASE="+baseImage, "-")
	if got := d.run(t, nil, "docker", "inspect", "-f", "{{index .Config.Entrypoint 0}} {{json .Config.Cmd}}", image); strings.TrimSpace(got) !=
		`/.restart/supervisor ["sh","-c","echo built elsewhere, pid $$, sum $((20+22)); exec sleep 600"]` {
		t.Fatalf("wrapped image: entrypoint and cmd = %s, want the supervisor and the built image's CMD", got)
	}

	c := d.runContainer(t, image)
	out := c.follow()
	out.Wait(", sum 42")
	first, old := c.state(), c.appProcs()
	c.runStep("date > /.restart-proc")
	out.WaitN(", sum 42", 2)
	c.checkGone(old)
	c.checkNotRestarted(first)
}

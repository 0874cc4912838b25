package integration

import (
	"os"
	"slices"
	"testing"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

// TestForwardedThroughSyntaxWrapsOnce runs the frontend in-process on a
// Dockerfile whose `# syntax=` line forwards to the frontend image again: the
// inner run adds the supervisor, the outer one must not add a second.
func TestForwardedThroughSyntaxWrapsOnce(t *testing.T) {
	t.Parallel()
	newBuild(t, "# syntax=tiltdev/restart-frontend\n"+helloDockerfile).mustRun(func(b *build) {
		ep := b.image("").Config.Entrypoint
		if n := countSupervisors(ep); n != 1 {
			t.Errorf("entrypoint %q runs %d supervisors, want 1", ep, n)
		}
		if ep[len(ep)-1] != "/bin/echo" {
			t.Errorf("entrypoint %q lost the app", ep)
		}
	})
}

// TestBaseImageBuiltWithTheFrontendIsRewrapped builds an image with the
// frontend, then a Dockerfile FROM it: the result has one supervisor, in
// front of the base's original entrypoint, with the new options.
func TestBaseImageBuiltWithTheFrontendIsRewrapped(t *testing.T) {
	t.Parallel()
	newBuild(t, helloDockerfile).pushTo("integration/wrapped-base:latest").mustRun(nil)
	base := os.Getenv("RIG_REGISTRY") + "/integration/wrapped-base:latest"

	newBuild(t, "FROM "+base+"\nCMD [\"again\"]\n").withBuildArg("RESTART_STOP_TIMEOUT", "1s").mustRun(func(b *build) {
		img := b.image("")
		ep := img.Config.Entrypoint
		if n := countSupervisors(ep); n != 1 {
			t.Errorf("entrypoint %q runs %d supervisors, want 1", ep, n)
		}
		if !slices.Contains(ep, "--stop-timeout=1s") || ep[len(ep)-1] != "/bin/echo" {
			t.Errorf("entrypoint %q was not refreshed around /bin/echo", ep)
		}
		if !slices.Equal(img.Config.Cmd, []string{"again"}) {
			t.Errorf("cmd = %q", img.Config.Cmd)
		}
		b.checkFile("", contract.SupervisorPath, 0o755, 0)
	})
}

func countSupervisors(entrypoint []string) int {
	n := 0
	for _, a := range entrypoint {
		if a == contract.SupervisorPath {
			n++
		}
	}
	return n
}

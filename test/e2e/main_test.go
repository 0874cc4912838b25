// Package e2e tests the frontend the way its users reach it: a Dockerfile
// that starts with `# syntax=tiltdev/restart-frontend`, built by buildctl,
// `docker buildx build` and `docker build` on the rig, then run, live-updated
// the way Tilt does it (`tar` through `docker exec`, a trigger), and stopped.
// Every test that runs containers does so on each of the rig's Docker daemons,
// 20.10 and 29 (daemons_test.go: TestE2E/DAEMON/NAME).
//
// The tests need the rig (`make rig image`, then `eval "$(make -s rig-env)"`);
// `make test` does all of that. Without it they skip, and `-short` skips them.
package e2e

import (
	"os"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

func TestMain(m *testing.M) {
	rigtest.Require("e2e", "BUILDKIT_HOST", "DOCKER_HOST", "RIG_REGISTRY")
	os.Exit(m.Run())
}

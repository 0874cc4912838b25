// Package integration runs the frontend's Build function in-process against
// the rig's buildkitd and checks what it returns: image configs, the files of
// the appended layer, their modes and owners, and the supervisor's ELF
// machine for each platform.
//
// The tests need the rig (`make rig image`, then `eval "$(make -s rig-env)"`):
// the supervisors come from the frontend image in the rig's registry, as they
// do on a daemon that does not expose the frontend's own image. `make test`
// sets all of that up; without it the tests skip, and `-short` skips them.
package integration

import (
	"os"
	"testing"

	"github.com/moby/buildkit/client"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

var bk *client.Client

func TestMain(m *testing.M) {
	rigtest.Require("integration", "BUILDKIT_HOST", "RIG_REGISTRY")
	bk = rigtest.BuildKit("integration")
	os.Exit(m.Run())
}

// Package parity builds a corpus of Dockerfiles (testdata/corpus) with
// BuildKit's own dockerfile frontend and with this frontend, in-process
// against the rig's buildkitd, and compares the images:
//
//   - RESTART_PROCESS=off: the same image, to the digest;
//   - on (the default): the user's layers reused as they are, the same files
//     (path, type, mode, owner, size, time, link, content) except the paths
//     the frontend appends (/.restart/** and the trigger), and the same image
//     config except the Entrypoint, the added dev.tilt.restart-frontend.*
//     labels and the appended layer's diff id and history.
//
// Every build exports an OCI layout with SOURCE_DATE_EPOCH pinned; the images
// are read back from it. The corpus needs no Docker Hub: only the base images
// the rig seeds, FROM scratch, local files, a registry push (ONBUILD) and an
// HTTP server in the test process (ADD of a URL).
//
// The tests need the rig (`make rig image`, then `eval "$(make -s rig-env)"`);
// `make test` does all of that. Without it they skip, and `-short` skips them.
package parity

import (
	"os"
	"testing"

	"github.com/moby/buildkit/client"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

var bk *client.Client

func TestMain(m *testing.M) {
	rigtest.Require("parity", "BUILDKIT_HOST", "RIG_REGISTRY")
	bk = rigtest.BuildKit("parity")
	os.Exit(m.Run())
}

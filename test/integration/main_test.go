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
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/moby/buildkit/client"
)

// frontendImage is where `make image` pushes the frontend, as the daemons of
// the rig see it through the docker.io mirror.
const frontendImage = "docker.io/tiltdev/restart-frontend:latest"

var bk *client.Client

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("integration: skipped under -short")
		os.Exit(0)
	}
	addr := os.Getenv("BUILDKIT_HOST")
	if addr == "" {
		fmt.Println("integration: skipped: BUILDKIT_HOST is not set; run `make test`, or `make rig image` and eval \"$(make -s rig-env)\"")
		os.Exit(0)
	}
	var err error
	bk, err = client.New(context.Background(), addr)
	if err != nil {
		fmt.Printf("integration: cannot reach buildkitd at %s: %v\n", addr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

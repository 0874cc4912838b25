// Package rigtest holds what the test packages that need the rig share: the
// check in TestMain that the rig is there, and the connection to its
// buildkitd. The rig is brought up by `make test`, or by hand with
// `make rig image` and `eval "$(make -s rig-env)"`.
package rigtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/moby/buildkit/client"
)

// FrontendImage is where `make image` pushes the frontend, as the rig's
// daemons see it through the docker.io mirror.
const FrontendImage = "docker.io/tiltdev/restart-frontend:latest"

// Require exits the test binary with status 0, saying why, under -short or
// when one of the rig's environment variables vars is not set: those tests
// are skipped, not failed, outside the rig. Call it first in TestMain.
func Require(pkg string, vars ...string) {
	flag.Parse()
	if testing.Short() {
		fmt.Printf("%s: skipped under -short\n", pkg)
		os.Exit(0)
	}
	for _, k := range vars {
		if os.Getenv(k) == "" {
			fmt.Printf("%s: skipped: %s is not set; run `make test`, or `make rig image` and eval \"$(make -s rig-env)\"\n", pkg, k)
			os.Exit(0)
		}
	}
}

// BuildKit connects to the buildkitd at BUILDKIT_HOST, or exits the test
// binary with status 1 naming the address.
func BuildKit(pkg string) *client.Client {
	addr := os.Getenv("BUILDKIT_HOST")
	c, err := client.New(context.Background(), addr)
	if err != nil {
		fmt.Printf("%s: cannot reach buildkitd at %s: %v\n", pkg, addr, err)
		os.Exit(1)
	}
	return c
}

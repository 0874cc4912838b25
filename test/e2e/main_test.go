// Package e2e tests the frontend the way its users reach it: a Dockerfile
// that starts with `# syntax=tiltdev/restart-frontend`, built by buildctl,
// `docker buildx build` and `docker build` on the rig, then run, live-updated
// the way Tilt does it (`tar` through `docker exec`, a trigger), and stopped.
//
// The tests need the rig (`make rig image`, then `eval "$(make -s rig-env)"`);
// `make test` does all of that. Without it they skip, and `-short` skips them.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// rigEnv are the variables `hack/rig env` exports that these tests use.
var rigEnv = []string{"BUILDKIT_HOST", "DOCKER_HOST", "RIG_REGISTRY"}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped under -short")
		os.Exit(0)
	}
	for _, k := range rigEnv {
		if os.Getenv(k) == "" {
			fmt.Printf("e2e: skipped: %s is not set; run `make test`, or `make rig image` and eval \"$(make -s rig-env)\"\n", k)
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

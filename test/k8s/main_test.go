// Package k8s tests Tilt's Kubernetes live update on a real cluster, the
// rig's: each example's k8s.yaml is deployed with an image built through
// `# syntax=tiltdev/restart-frontend` and pushed to the rig's registry, then
// live-updated exactly as Tilt's ExecUpdater does it (package kube: pods/exec
// through the API server, rm -rf, tar -x, the run step). The Kubernetes
// cases of cases_test.go do the same for what only a pod spec can say:
// runAsUser, runAsNonRoot, the restricted Pod Security Standard,
// readOnlyRootFilesystem, shareProcessNamespace, args and command, pod
// deletion and RESTART_EXIT_POLICY from env.
//
// Every test runs in a namespace of its own, deleted when it ends. The tests
// need the rig with its cluster (`make rig image`, then `eval "$(make -s
// rig-env)"`, which sets KUBECONFIG); `make test` does all of that. Without
// KUBECONFIG, or under -short, they skip.
package k8s

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/kube"
	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// cluster is the rig's cluster, for every test.
var cluster *kube.Cluster

func TestMain(m *testing.M) {
	rigtest.Require("k8s", "KUBECONFIG", "BUILDKIT_HOST", "RIG_REGISTRY")
	c, err := kube.Connect(os.Getenv("KUBECONFIG"))
	if err == nil {
		_, err = c.Client.Discovery().ServerVersion()
	}
	if err != nil {
		fmt.Printf("k8s: cannot reach the cluster of KUBECONFIG=%s: %v\n", os.Getenv("KUBECONFIG"), err)
		os.Exit(1)
	}
	cluster = c
	os.Exit(m.Run())
}

// ctx is the context of every call to the cluster: the tests bound their
// waits themselves (rigtest.HangGuard).
var ctx = context.Background()

package k8s

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// buildOptions are what a build may add to the Dockerfile and its context.
type buildOptions struct {
	target string   // the stage to build; the last one when empty
	args   []string // build args, NAME=VALUE
}

// buildImage builds the Dockerfile in dir through its `# syntax=` line with
// buildctl on the rig's buildkitd, pushes it to the rig's registry as
// k8s/NAME, and returns its reference by digest: what Tilt injects into the
// manifest, and what the cluster pulls.
func buildImage(t *testing.T, dir, name string, o buildOptions) string {
	t.Helper()
	repo := os.Getenv("RIG_REGISTRY") + "/k8s/" + name
	meta := filepath.Join(t.TempDir(), "metadata.json")
	args := []string{"build", "--frontend", "dockerfile.v0",
		"--local", "context=" + dir, "--local", "dockerfile=" + dir,
		"--output", "type=image,name=" + repo + ":latest,push=true,registry.insecure=true",
		"--metadata-file", meta}
	for _, a := range o.args {
		args = append(args, "--opt", "build-arg:"+a)
	}
	if o.target != "" {
		args = append(args, "--opt", "target="+o.target)
	}
	if out, err := exec.Command("buildctl", args...).CombinedOutput(); err != nil {
		t.Fatalf("buildctl %v: %v\n%s", args, err, out)
	}
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Digest string `json:"containerimage.digest"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Digest == "" {
		t.Fatalf("no image digest in buildctl's metadata %s (%v)", b, err)
	}
	return repo + "@" + m.Digest
}

// nodeArch is the architecture of the cluster's node, which the host's go
// build must target (the examples' Tiltfiles say the same).
var nodeArch = sync.OnceValues(func() (string, error) {
	nodes, err := cluster.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		return "", err
	}
	return nodes.Items[0].Status.NodeInfo.Architecture, nil
})

// clusterArch is nodeArch, or fails the test.
func clusterArch(t *testing.T) string {
	t.Helper()
	arch, err := nodeArch()
	if err != nil {
		t.Fatal(err)
	}
	return arch
}

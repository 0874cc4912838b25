package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// TestCacheFromAnotherDaemon builds on the rig's buildkitd and exports the
// cache to the registry, then builds the same Dockerfile on a new buildkitd
// with an empty cache, importing it: the user's RUN step must come from the
// imported cache, through the frontend's second solve too.
func TestCacheFromAnotherDaemon(t *testing.T) {
	t.Parallel()
	unique := fmt.Sprint(time.Now().UnixNano())
	df := "FROM busybox\nRUN echo " + unique + " > /built\n"
	cache := map[string]string{"ref": os.Getenv("RIG_REGISTRY") + "/integration/cache-from:" + unique, "registry.insecure": "true"}

	first := newBuild(t, df)
	first.cacheExports = []client.CacheOptionsEntry{{Type: "registry", Attrs: withAttr(cache, "mode", "max")}}
	first.mustRun(nil)

	second := newBuild(t, df)
	second.daemon = startBuildkitd(t)
	second.cacheImports = []client.CacheOptionsEntry{{Type: "registry", Attrs: cache}}
	second.mustRun(func(b *build) { b.checkFile("", "/built", 0o644, 0) })
	var run string
	for name := range second.cached {
		if strings.Contains(name, "RUN echo "+unique) {
			run = name
		}
	}
	if run == "" || !second.cached[run] {
		t.Errorf("the RUN step (%q) was not taken from the imported cache; steps: %v", run, second.cached)
	}
}

func withAttr(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for mk, mv := range m {
		out[mk] = mv
	}
	return out
}

// startBuildkitd starts a buildkitd with an empty cache, configured like the
// rig's (runc, overlayfs, the registry as the docker.io mirror), and stops it
// when the test ends.
func startBuildkitd(t *testing.T) *client.Client {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "buildkitd.sock")
	reg := os.Getenv("RIG_REGISTRY")
	config := fmt.Sprintf(`root = %q
[grpc]
  address = ["unix://%s"]
[otel]
  socketPath = %q
[worker.oci]
  enabled = true
  snapshotter = "overlayfs"
  networkMode = "host"
[worker.containerd]
  enabled = false
[registry."docker.io"]
  mirrors = [%q]
[registry.%q]
  http = true
`, filepath.Join(dir, "root"), sock, filepath.Join(dir, "otel.sock"), reg, reg)
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("buildkitd", "--config", filepath.Join(dir, "buildkitd.toml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start a second buildkitd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		logf.Close()
	})

	c, err := client.New(context.Background(), "unix://"+sock)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second) // a hang guard
	for {
		if _, err := c.ListWorkers(context.Background()); err == nil {
			return c
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("the second buildkitd did not start:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

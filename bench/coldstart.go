package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pkg/errors"
)

// ColdStartOptions configures [ColdStart].
type ColdStartOptions struct {
	App       string // bench/testdata/app, whose Dockerfile starts with `# syntax=`
	Buildkitd string // the rig's buildkitd binary
	Runc      string // the OCI runtime its worker uses
	Dir       string // short enough for a unix socket path under it
	Registry  string // the rig's registry: the docker.io mirror, and where images are pushed
	Tag       string
	Upstream  string // the upstream dockerfile frontend image at our BuildKit version
	Samples   int
}

// ColdStart times the first build on a buildkitd that has never built
// anything, as on a new CI runner or a fresh Docker Desktop: it pulls the
// frontend image, the base image (busybox) and, for ours, makes the
// supervisor layer. Each sample starts a new buildkitd with an empty root
// on the rig's registry as its docker.io mirror, builds bench/testdata/app
// once with `# syntax=tiltdev/restart-frontend` and once with upstream's
// frontend (taking turns), and stops it. Only the build is timed.
func ColdStart(ctx context.Context, o ColdStartOptions) ([]Figure, error) {
	dockerfile, err := os.ReadFile(filepath.Join(o.App, "Dockerfile"))
	if err != nil {
		return nil, err
	}
	_, body, _ := bytes.Cut(dockerfile, []byte("\n"))
	flows := []*flow{{name: "ours"}, {name: "upstream"}}
	for i, first := range [][]byte{dockerfile, append([]byte("# syntax="+o.Upstream+"\n"), body...)} {
		d := filepath.Join(o.Dir, "coldstart", flows[i].name)
		if err := os.CopyFS(d, os.DirFS(o.App)); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(d, "Dockerfile"), first, 0o644); err != nil {
			return nil, err
		}
		flows[i].dirs = []string{d}
		flows[i].images = []string{o.Registry + "/restart-bench/cold-" + flows[i].name + ":" + o.Tag}
	}
	times, err := rounds(ctx, flows, o.Samples, func(f *flow, r int) (time.Duration, error) {
		return o.coldBuild(ctx, f, r)
	})
	if err != nil {
		return nil, err
	}
	fig := Figure{Name: "cold first build on a new buildkitd", Value: median(times[0]), Unit: "ms", Samples: o.Samples,
		Note: "pulls the frontend image and busybox; ours also makes the supervisor layer"}.
		compare(o.Upstream, median(times[1]))
	return []Figure{fig}, nil
}

// coldBuild starts a buildkitd with an empty root, builds f once through it
// and stops it.
func (o ColdStartOptions) coldBuild(ctx context.Context, f *flow, round int) (time.Duration, error) {
	dir := filepath.Join(o.Dir, "coldstart", fmt.Sprintf("bk-%s-%d", f.name, round))
	sock := filepath.Join(dir, "bk.sock")
	config := fmt.Sprintf(`root = %q
[grpc]
  address = ["unix://%s"]
[worker.oci]
  enabled = true
  snapshotter = "overlayfs"
  binary = %q
  networkMode = "host"
[worker.containerd]
  enabled = false
[registry."docker.io"]
  mirrors = [%q]
[registry.%q]
  http = true
`, filepath.Join(dir, "root"), sock, o.Runc, o.Registry, o.Registry)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(config), 0o644); err != nil {
		return 0, err
	}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(o.Buildkitd, "--config", filepath.Join(dir, "buildkitd.toml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}()
	addr := "unix://" + sock
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if _, err := command(ctx, nil, "buildctl", "--addr", addr, "debug", "workers"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return 0, errors.Errorf("the cold buildkitd in %s did not start within a minute", dir)
		}
	}
	return timed(ctx, nil, "buildctl", "--addr", addr, "build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context="+f.dirs[0], "--local", "dockerfile="+f.dirs[0],
		"--output", "type=image,name="+f.images[0]+",push=true,registry.insecure=true")
}

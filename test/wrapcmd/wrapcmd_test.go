// Package wrapcmd tests `restart-frontend wrap` against the frontend on the
// rig: an image wrapped by the command has the config and the added files
// of the same image built `FROM` it through the frontend, and runs under the
// supervisor on Docker 29, restarted by `supervisor restart --wait`.
//
// The tests need the rig with the frontend image in its registry (`make rig
// image`, then `eval "$(make -s rig-env)"`); without it they skip.
package wrapcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/rewrap/rewraptest"
	"github.com/tilt-dev/restart-frontend/pkg/version"
	"github.com/tilt-dev/restart-frontend/pkg/wrapcmd"
	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

func TestMain(m *testing.M) {
	rigtest.Require("wrapcmd", "BUILDKIT_HOST", "RIG_REGISTRY", "DOCKER29_HOST", "DOCKER29_CLI")
	os.Exit(m.Run())
}

// appDockerfile is X: an image built without the frontend.
const appDockerfile = `FROM busybox
CMD ["sh", "-c", "echo app started; exec sleep 3600"]
`

// TestWrapIsTheFrontendsBuild builds X, X wrapped by the frontend (`FROM X`
// with the syntax line) and X wrapped by the command, and compares the two.
func TestWrapIsTheFrontendsBuild(t *testing.T) {
	reg := os.Getenv("RIG_REGISTRY")
	frontend := reg + "/tiltdev/restart-frontend:latest"
	if _, err := remote.Head(ref(t, frontend)); err != nil {
		t.Fatalf("the frontend image is not in the rig's registry (%v): run hack/image under the image lock", err)
	}
	x := reg + "/wrapcmd/app:plain"
	build(t, appDockerfile, x, "dockerfile.v0")
	viaFrontend := reg + "/wrapcmd/app:frontend"
	build(t, "# syntax=tiltdev/restart-frontend\nFROM "+x+"\n", viaFrontend, "dockerfile.v0")
	feImg := image(t, viaFrontend)
	feCfg := configMap(t, feImg)

	// The command labels with its own version: take the frontend's, so the
	// configs can be compared whole.
	labels := feCfg["config"].(map[string]any)["Labels"].(map[string]any)
	saved := version.Version
	version.Version = labels[contract.LabelVersion].(string)
	t.Cleanup(func() { version.Version = saved })
	viaCommand := reg + "/wrapcmd/app:command"
	begin := time.Now()
	wrapImage(t, nil, "--frontend", frontend, x, viaCommand)
	t.Logf("registry to registry wrap took %s", time.Since(begin).Round(time.Millisecond))
	cmdImg := image(t, viaCommand)
	cmdCfg := configMap(t, cmdImg)

	added := func(cfg map[string]any) int {
		n := 0
		for _, h := range cfg["history"].([]any) {
			if h.(map[string]any)["comment"] == contract.HistoryComment {
				n++
			}
		}
		return n
	}
	nFE, nCmd := added(feCfg), added(cmdCfg)
	if nFE != nCmd || nFE == 0 {
		t.Fatalf("the frontend added %d layers, the command %d", nFE, nCmd)
	}
	// The added layers' bytes differ (BuildKit's tar writer is not this
	// one): compare the base layers' diff IDs, and the added layers by
	// their entries below.
	for _, cfg := range []map[string]any{feCfg, cmdCfg} {
		delete(cfg, "created")
		delete(cfg, "history")
		rootfs := cfg["rootfs"].(map[string]any)
		ids := rootfs["diff_ids"].([]any)
		rootfs["diff_ids"] = ids[:len(ids)-nFE]
	}
	a, _ := json.MarshalIndent(feCfg, "", "  ")
	b, _ := json.MarshalIndent(cmdCfg, "", "  ")
	if !bytes.Equal(a, b) {
		t.Errorf("configs differ:\nfrontend: %s\ncommand:  %s", a, b)
	}

	feLayers, cmdLayers := rewraptest.LastLayers(t, feImg, nFE), rewraptest.LastLayers(t, cmdImg, nCmd)
	for i := range feLayers {
		fe, cmd := sorted(rewraptest.Entries(t, feLayers[i])), sorted(rewraptest.Entries(t, cmdLayers[i]))
		if !slices.Equal(fe, cmd) {
			t.Errorf("added layer %d differs:\nfrontend: %+v\ncommand:  %+v", i, fe, cmd)
		}
	}
}

// TestWrappedImageRestarts wraps X out of each of the rig's Docker daemons
// and back into it, runs it and restarts the app with `supervisor restart
// --wait`.
func TestWrappedImageRestarts(t *testing.T) {
	reg := os.Getenv("RIG_REGISTRY")
	x := reg + "/wrapcmd/app:plain"
	build(t, appDockerfile, x, "dockerfile.v0")
	for _, d := range []dockerd{
		{name: "docker20", host: os.Getenv("DOCKER_HOST"), cli: "docker"},
		{name: "docker29", host: os.Getenv("DOCKER29_HOST"), cli: os.Getenv("DOCKER29_CLI")},
	} {
		t.Run(d.name, func(t *testing.T) {
			d.run(t, "pull", "-q", x)
			t.Setenv("DOCKER_HOST", d.host)
			wrapped := "wrapcmd/app:daemon"
			wrapImage(t, nil, "--frontend", reg+"/tiltdev/restart-frontend:latest", "docker-daemon:"+x, "docker-daemon:"+wrapped)

			id := strings.TrimSpace(d.run(t, "create", "--network", "none", wrapped))
			t.Cleanup(func() { _, _ = d.try("rm", "-f", id) })
			d.run(t, "start", id)
			d.waitLog(t, id, "app started", 1)
			if path := strings.TrimSpace(d.run(t, "inspect", "-f", "{{.Path}}", id)); path != contract.SupervisorPath {
				t.Errorf("the container runs %s, want the supervisor", path)
			}
			d.run(t, "exec", id, contract.SupervisorPath, "restart", "--wait")
			d.waitLog(t, id, "app started", 2)
		})
	}
}

func build(t *testing.T, dockerfile, name, frontend string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("buildctl", "build", "--frontend", frontend, "--local", "context="+dir, "--local", "dockerfile="+dir,
		"--output", "type=image,name="+name+",push=true,registry.insecure=true")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buildctl: %v\n%s", err, out)
	}
}

func wrapImage(t *testing.T, env []string, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := wrapcmd.Run(context.Background(), args, append(os.Environ(), env...), &stdout, &stderr); err != nil {
		t.Fatalf("wrap %q: %v\n%s", args, err, stderr.String())
	}
}

func ref(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func image(t *testing.T, s string) v1.Image {
	t.Helper()
	img, err := remote.Image(ref(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func configMap(t *testing.T, img v1.Image) map[string]any {
	t.Helper()
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sorted sorts a layer's entries by path: the order is the tar writer's
// choice.
func sorted(es []rewraptest.Entry) []rewraptest.Entry {
	slices.SortFunc(es, func(a, b rewraptest.Entry) int { return strings.Compare(a.Path, b.Path) })
	return es
}

// dockerd is one of the rig's Docker daemons and the CLI that drives it.
type dockerd struct{ name, host, cli string }

func (d dockerd) try(args ...string) (string, error) {
	cmd := exec.Command(d.cli, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.host)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("docker %s on %s: %w\n%s", strings.Join(args, " "), d.name, err, stderr.Bytes())
	}
	return string(out), nil
}

func (d dockerd) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := d.try(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitLog waits until the container's output holds want n times.
func (d dockerd) waitLog(t *testing.T, id, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a hang guard, not a latency check
	for {
		out, _ := d.try("logs", id)
		if strings.Count(out, want) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container output never had %q %d times:\n%s", want, n, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package e2e

// Multi-platform builds on the rig, whose machine is linux/amd64: the arm64
// images (and the arm64 frontend image itself) run under qemu, registered
// through binfmt_misc by hack/rig.d/binfmt.sh. Emulated runs are slow, so
// each case does one live update and one stop.

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// multiPlatforms are the platforms of the rig's multi-arch base images.
var multiPlatforms = []string{"linux/amd64", "linux/arm64"}

// elfMachines is the ELF machine a binary for each platform has.
var elfMachines = map[string]elf.Machine{
	"linux/amd64": elf.EM_X86_64,
	"linux/arm64": elf.EM_AARCH64,
}

// TestMultiPlatformExamples builds examples/shell and examples/scratch for
// linux/amd64 and linux/arm64 in one build, through buildctl and buildx, and
// runs each platform's image: it has that platform's supervisor (by its ELF
// machine), restarts on Tilt's live update steps, and stops with the app's
// code.
func TestMultiPlatformExamples(t *testing.T) {
	d := docker20()
	for _, builder := range []string{"buildctl", "buildx"} {
		t.Run(builder+"/shell", func(t *testing.T) {
			t.Parallel()
			refs := buildMultiPlatform(t, d, builder, rigtest.CopyExample(t, "shell"), "multi-shell")
			for _, p := range multiPlatforms {
				t.Run(p, func(t *testing.T) { liveUpdateShell(t, d, p, refs[p]) })
			}
		})
		t.Run(builder+"/scratch", func(t *testing.T) {
			t.Parallel()
			dir := rigtest.CopyExample(t, "scratch")
			refs := buildMultiPlatform(t, d, builder, dir, "multi-scratch", "RESTART_TOOLS=on")
			for _, p := range multiPlatforms {
				t.Run(p, func(t *testing.T) { liveUpdateScratch(t, d, p, dir, refs[p]) })
			}
		})
	}
}

// liveUpdateShell runs examples/shell's image for platform p, syncs a new
// ticker.sh and deletes a message as Tilt does, triggers a restart, and stops
// the container.
func liveUpdateShell(t *testing.T, d *daemon, p, ref string) {
	c := d.runContainer(t, ref)
	checkPlatform(t, c, p, "/.restart/supervisor", "/usr/bin/dash")
	out := c.follow()
	out.Wait("ticker version 1, pid ")
	first, old := c.state(), c.appProcs()

	local := t.TempDir()
	script := strings.Replace(string(c.readFile("/app/ticker.sh")), "version=1", "version=2", 1)
	rigtest.WriteFile(t, local, "ticker.sh", script)
	if err := os.Chmod(filepath.Join(local, "ticker.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	c.deleteFiles("/app/messages/old.txt")
	c.syncFiles(local, "/app", "ticker.sh")
	c.runStep("date > /.restart-proc")

	out.Wait("ticker version 2, pid ")
	c.checkGone(old)
	c.checkNotRestarted(first)
	if _, err := d.tryRun(nil, "docker", "exec", c.id, "test", "!", "-e", "/app/messages/old.txt"); err != nil {
		t.Errorf("/app/messages/old.txt is still in the container: %v", err)
	}
	// The shell of the shell-form CMD has no trap: SIGTERM ends it, so the
	// app's own code is 128+15, as without the supervisor.
	stopWithAppCode(t, c, out, "", 0, "143")
}

// liveUpdateScratch runs examples/scratch's image (built with
// RESTART_TOOLS=on, so Tilt's tar and rm work on scratch) for platform p,
// syncs a counter compiled for p, and restarts it with the list-form run
// step.
func liveUpdateScratch(t *testing.T, d *daemon, p, dir, ref string) {
	c := d.runContainer(t, ref)
	checkPlatform(t, c, p, "/.restart/supervisor", "/.restart/tools", "/counter")
	out := c.follow()
	out.Wait("counter v1: pid ")
	first, old := c.state(), c.appProcs()

	src := t.TempDir()
	if err := os.CopyFS(src, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	rigtest.Edit(t, src, "main.go", `const version = "v1"`, `const version = "v2"`)
	cmd := exec.Command("go", "build", "-trimpath", "-o", "build/counter", ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+platforms.MustParse(p).Architecture,
		"GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build for %s: %v\n%s", p, err, b)
	}
	c.deleteFiles("/counter")
	c.syncFiles(filepath.Join(src, "build"), "/", "counter")
	c.runArgv("/.restart/supervisor", "restart")

	v2 := rigtest.PidIn(t, out.Wait("counter v2: pid "))
	c.checkGone(old)
	c.checkNotRestarted(first)
	checkSynced(t, c, filepath.Join(src, "build", "counter"), "/counter")
	stopWithAppCode(t, c, out, "counter v2: pid "+v2+" stopping", 1, "0")
}

// stopWithAppCode stops c with `docker stop`, waits, unless stopped is
// empty, for the n-th line of the app's output with stopped (the app saw the
// signal), and checks that the container exited with the app's own code.
func stopWithAppCode(t *testing.T, c *container, out *rigtest.Output, stopped string, n int, code string) {
	t.Helper()
	c.d.run(t, nil, "docker", "stop", c.id)
	if stopped != "" {
		out.WaitN(stopped, n)
	}
	if got := c.inspect("{{.State.ExitCode}}"); got != code {
		t.Errorf("exit code after docker stop = %s, want the app's own %s", got, code)
	}
}

// checkPlatform checks that the container's files bins are ELF binaries for
// platform p.
func checkPlatform(t *testing.T, c *container, p string, bins ...string) {
	t.Helper()
	for _, bin := range bins {
		if got, want := elfMachine(t, c.readFile(bin)), elfMachines[p]; got != want {
			t.Errorf("%s of the %s image is for %v, want %v", bin, p, got, want)
		}
	}
}

func elfMachine(t *testing.T, data []byte) elf.Machine {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not an ELF binary: %v", err)
	}
	return f.Machine
}

// buildMultiPlatform builds the Dockerfile in dir for multiPlatforms with
// builder (buildctl or buildx, both on the rig's buildkitd), pushes the
// index into the rig's registry, and returns, per platform, a reference
// by digest to that platform's image that the rig's dockerd can pull.
// args are build args, NAME=VALUE.
func buildMultiPlatform(t *testing.T, d *daemon, builder, dir, name string, args ...string) map[string]string {
	t.Helper()
	image := os.Getenv("RIG_REGISTRY") + "/e2e/" + name + ":" + builder
	list := strings.Join(multiPlatforms, ",")
	var cmd []string
	switch builder {
	case "buildctl":
		cmd = []string{"buildctl", "build", "--frontend", "dockerfile.v0",
			"--local", "context=" + dir, "--local", "dockerfile=" + dir, "--opt", "platform=" + list,
			"--output", "type=image,name=" + image + ",push=true,registry.insecure=true"}
		for _, a := range args {
			cmd = append(cmd, "--opt", "build-arg:"+a)
		}
	case "buildx":
		cmd = []string{"docker", "buildx", "build", "--builder", "rig", "--platform", list, "--push", "-t", image}
		for _, a := range args {
			cmd = append(cmd, "--build-arg", a)
		}
		cmd = append(cmd, dir)
	default:
		t.Fatalf("unknown builder %q", builder)
	}
	d.run(t, nil, cmd...)
	refs := indexManifests(t, d, image)
	for _, p := range multiPlatforms {
		if refs[p] == "" {
			t.Fatalf("the index of %s has no %s image: %v", image, p, refs)
		}
		d.run(t, nil, "docker", "pull", "-q", refs[p])
	}
	return refs
}

// indexManifests reads the index at image from the registry and returns a
// reference by digest to each of its platform images (attestations, whose
// platform is unknown/unknown, are left out).
func indexManifests(t *testing.T, d *daemon, image string) map[string]string {
	t.Helper()
	var index ocispecs.Index
	if err := json.Unmarshal([]byte(d.run(t, nil, "crane", "manifest", image)), &index); err != nil {
		t.Fatalf("the manifest of %s: %v", image, err)
	}
	repo, _, _ := strings.Cut(image[strings.Index(image, "/")+1:], ":")
	refs := map[string]string{}
	for _, m := range index.Manifests {
		if m.Platform != nil && m.Platform.OS != "unknown" {
			refs[platforms.Format(*m.Platform)] = strings.SplitN(image, "/", 2)[0] + "/" + repo + "@" + m.Digest.String()
		}
	}
	return refs
}

// fileOfImage returns the file name of the image ref (flattened, as crane
// export writes it).
func fileOfImage(t *testing.T, d *daemon, ref, name string) []byte {
	t.Helper()
	tr := tar.NewReader(strings.NewReader(d.run(t, nil, "crane", "export", ref, "-")))
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("%s has no %s: %v", ref, name, err)
		}
		if strings.TrimPrefix(hdr.Name, "/") == strings.TrimPrefix(name, "/") {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
}

// TestArm64FrontendImage runs the frontend image's linux/arm64 manifest,
// selected by digest, as the frontend of a build, as an arm64 host would: on
// the rig's buildkitd as the gateway (CurrentFrontend), and on Docker
// 20.10's BuildKit, which lacks CurrentFrontend, through the fallback that
// loads the supervisors from the "source" image. Both build a linux/amd64
// image, another platform than the frontend's own: it must get the amd64
// supervisor, and restart on a trigger.
func TestArm64FrontendImage(t *testing.T) {
	d := docker20()
	registry := os.Getenv("RIG_REGISTRY")
	refs := indexManifests(t, d, registry+"/tiltdev/restart-frontend:latest")
	if refs["linux/arm64"] == "" {
		t.Fatalf("the frontend image has no linux/arm64 manifest (make image builds it): %v", refs)
	}
	if m := elfMachine(t, fileOfImage(t, d, refs["linux/arm64"], "/frontend")); m != elf.EM_AARCH64 {
		t.Fatalf("/frontend of the frontend's linux/arm64 image is for %v", m)
	}
	_, digest, _ := strings.Cut(refs["linux/arm64"], "@")
	source := strings.TrimSuffix(rigtest.FrontendImage, ":latest") + "@" + digest

	dockerfile := `FROM busybox
CMD ["sh", "-c", "echo \"app pid $$ on $(uname -m)\"; trap 'echo stopping; exit 0' TERM; while :; do sleep 1 & wait $!; done"]
`
	t.Run("gateway", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		rigtest.WriteFile(t, dir, "Dockerfile", dockerfile)
		image := registry + "/e2e/arm64-frontend:gateway"
		cmd := []string{"buildctl", "build", "--frontend", "gateway.v0", "--opt", "source=" + source,
			"--opt", "platform=linux/amd64", "--local", "context=" + dir, "--local", "dockerfile=" + dir,
			"--output", "type=image,name=" + image + ",push=true,registry.insecure=true"}
		// Go programs under qemu-user crash now and then (seen once in
		// about ten runs on a loaded machine: the frontend process dies, and
		// BuildKit says its gRPC server closed). Such a crash is retried
		// once, and logged; any other failure, or a second crash, fails.
		if _, err := d.tryRun(nil, cmd...); err != nil {
			if !strings.Contains(err.Error(), "frontend grpc server closed unexpectedly") {
				t.Fatalf("%s: %v", strings.Join(cmd, " "), err)
			}
			t.Logf("the emulated frontend crashed; building once more: %v", err)
			d.run(t, nil, cmd...)
		}
		d.run(t, nil, "docker", "pull", "-q", image)
		restartOnce(t, d, image)
	})
	t.Run("fallback", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		rigtest.WriteFile(t, dir, "Dockerfile", "# syntax="+source+"\n"+dockerfile)
		restartOnce(t, d, d.build(t, "docker", dir, "arm64-frontend-fallback"))
	})
}

// restartOnce runs the linux/amd64 image, checks its supervisor is amd64's,
// restarts the app with a trigger and stops it.
func restartOnce(t *testing.T, d *daemon, image string) {
	t.Helper()
	c := d.runContainer(t, image)
	checkPlatform(t, c, "linux/amd64", "/.restart/supervisor")
	out := c.follow()
	first := rigtest.PidIn(t, out.Wait("on x86_64"))
	c.runStep("date > /.restart-proc")
	if second := rigtest.PidIn(t, out.WaitN("on x86_64", 2)); second == first {
		t.Errorf("the app kept pid %s across the restart", first)
	}
	stopWithAppCode(t, c, out, "stopping", 2, "0") // the restart's, then the stop's
}

// TestBusyboxUsers builds, for linux/amd64 and linux/arm64, a Dockerfile
// that makes its user with busybox's own addgroup and adduser, as many
// Dockerfiles on `FROM busybox` do, and runs each image as that user.
func TestBusyboxUsers(t *testing.T) {
	d := docker20()
	t.Parallel()
	dir := t.TempDir()
	rigtest.WriteFile(t, dir, "Dockerfile", `# syntax=tiltdev/restart-frontend
FROM busybox
RUN addgroup -S app && adduser -S -D -H -G app app && addgroup app nogroup
USER app
CMD ["sh", "-c", "echo \"user $(id -un) groups $(id -Gn) pid $$ on $(uname -m)\"; exec sleep 1000"]
`)
	refs := buildMultiPlatform(t, d, "buildctl", dir, "busybox-users")
	for _, p := range multiPlatforms {
		t.Run(p, func(t *testing.T) {
			c := d.runContainer(t, refs[p])
			// The supervisor's own "started" line quotes the command: only
			// the app's output has the user's name in it.
			c.follow().Wait("user app groups app nogroup pid ")
		})
	}
}

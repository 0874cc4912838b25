package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
	"github.com/tilt-dev/restart-frontend/test/scenario"
)

// The tests of examples/: each builds its example with `docker build` (the
// daemon's BuildKit, which is what Tilt's docker_build uses), runs it, and
// plays its live-update scenario (package scenario, shared with test/k8s)
// on the container: the code change, applied the way the example's Tiltfile
// has Tilt apply it through docker exec (see tilt_test.go). Then it checks
// that
//
//   - the new code runs (its own output, and for servers its answer on the
//     port the old code had);
//   - no process of the old generation is left in the container;
//   - the container never restarted: same id and start time, RestartCount 0;
//   - the synced files are in the container, and deleted ones are not.
//
// testExamplesOtherBuilders builds each example once more with buildctl or
// buildx (the rig's buildkitd) and checks that it starts.
//
// Their images are named e2e/example-NAME:BUILDER, apart from the other
// tests' (which run in parallel with them).

// startExample copies examples/ex.Name, compiles and builds it as its
// Tiltfile does, with `docker build` on d, as the image e2e/NAME, and runs
// it.
func startExample(t *testing.T, d *daemon, ex scenario.Example, name string) (string, *container) {
	t.Helper()
	dir := rigtest.CopyExample(t, ex.Name)
	ex.Prepare(t, dir, dockerArch(t))
	image := d.buildImage(t, "docker", dir, name, buildOptions{target: ex.Target, args: ex.BuildArgs})
	return dir, d.runContainer(t, image)
}

// testExampleGoServer plays scenario.GoServer (examples/go-server/Tiltfile)
// and checks the server's answer on its port before and after, and that it
// stops with its own code.
func testExampleGoServer(t *testing.T, d *daemon) {
	t.Parallel()
	ex := scenario.GoServer
	dir, c := startExample(t, d, ex, "example-go-server")
	out := c.follow()
	started := ex.WaitStarted(t, c)
	out.Wait(`serving "hello" on`)
	first, old := c.state(), c.appProcs()
	ex.CheckProcs(t, old)
	if got := httpGet(c, 8080); !strings.Contains(got, "hello from go-server v1") {
		t.Fatalf("GET / = %q, want v1's answer", got)
	}

	// Save main.go: the local_resource compiles, Tilt syncs and runs.
	ex.Change(t, dir, dockerArch(t))
	ex.LiveUpdate(t, dir, c)
	v2 := rigtest.PidIn(t, ex.WaitUpdated(t, c, started)[0])
	out.Wait(`go-server v2 pid ` + v2 + `: serving "hello" on`)
	c.checkGone(old)
	c.checkNotRestarted(first)
	if got := httpGet(c, 8080); !strings.Contains(got, "hello from go-server v2") {
		t.Errorf("GET / = %q, want v2's answer on the same port", got)
	}
	checkSynced(t, c, filepath.Join(dir, "build", "app"), "/app/app")

	d.run(t, nil, "docker", "stop", c.id)
	out.Wait("go-server v2 pid " + v2 + ": shut down cleanly")
	if code := c.inspect("{{.State.ExitCode}}"); code != "0" {
		t.Errorf("exit code after docker stop = %s, want the server's own 0", code)
	}
}

// testExampleShell plays scenario.Shell (examples/shell/Tiltfile) and checks
// the synced and deleted files in the container.
func testExampleShell(t *testing.T, d *daemon) {
	t.Parallel()
	ex := scenario.Shell
	dir, c := startExample(t, d, ex, "example-shell")
	started := ex.WaitStarted(t, c)
	first, old := c.state(), c.appProcs()
	ex.CheckProcs(t, old)

	ex.Change(t, dir, dockerArch(t))
	ex.LiveUpdate(t, dir, c)
	ex.WaitUpdated(t, c, started)
	c.checkGone(old)
	c.checkNotRestarted(first)
	if got := string(c.readFile("/app/messages/new.txt")); got != "synced by the live update\n" {
		t.Errorf("/app/messages/new.txt = %q", got)
	}
	if _, err := c.Exec(nil, "test", "!", "-e", "/app/messages/old.txt"); err != nil {
		t.Errorf("/app/messages/old.txt is still in the container: %v", err)
	}
}

// testExamplePython plays scenario.Python (examples/python/Tiltfile: a
// sync alone restarts the interpreter), then makes a change that makes the
// app crash, which leaves the container up, and the fix, which starts the
// app again.
func testExamplePython(t *testing.T, d *daemon) {
	t.Parallel()
	ex := scenario.Python
	dir, c := startExample(t, d, ex, "example-python")
	out := c.follow()
	started := ex.WaitStarted(t, c)
	first, old := c.state(), c.appProcs()
	ex.CheckProcs(t, old)
	if got := httpGet(c, 8000); !strings.Contains(got, "hello from python v1") {
		t.Fatalf("GET / = %q, want v1's answer", got)
	}

	ex.Change(t, dir, dockerArch(t))
	ex.LiveUpdate(t, dir, c)
	ex.WaitUpdated(t, c, started)
	c.checkGone(old)
	c.checkNotRestarted(first)
	if got := httpGet(c, 8000); !strings.Contains(got, "hello from python v2") {
		t.Errorf("GET / = %q, want v2's answer", got)
	}

	// A broken change: the app exits, the container stays.
	good, err := os.ReadFile(filepath.Join(dir, "app", "greeting.py"))
	if err != nil {
		t.Fatal(err)
	}
	rigtest.WriteFile(t, dir, "app/greeting.py", string(good)+"\nraise RuntimeError(\"broken on purpose\")\n")
	ex.LiveUpdate(t, dir, c)
	out.Wait("RuntimeError: broken on purpose")
	c.waitNoApp()
	c.checkNotRestarted(first)

	// The fix.
	rigtest.WriteFile(t, dir, "app/greeting.py", strings.Replace(string(good), `VERSION = "v2"`, `VERSION = "v3"`, 1))
	ex.LiveUpdate(t, dir, c)
	out.Wait("python v3 pid ")
	c.checkNotRestarted(first)
	if got := httpGet(c, 8000); !strings.Contains(got, "hello from python v3") {
		t.Errorf("GET / = %q, want v3's answer", got)
	}
	checkSynced(t, c, filepath.Join(dir, "app", "greeting.py"), "/app/greeting.py")

	d.run(t, nil, "docker", "stop", c.id)
	if code := c.inspect("{{.State.ExitCode}}"); code != "0" {
		t.Errorf("exit code after docker stop = %s, want the app's own 0", code)
	}
}

// testExampleScratch updates examples/scratch's default image, which holds
// nothing but the binary: no tar for Tilt's sync, so scenario.Scratch's new
// binary goes in with `docker cp` (the daemon writes it), then its run step,
// which needs no shell.
func testExampleScratch(t *testing.T, d *daemon) {
	t.Parallel()
	ex := scenario.Scratch
	dir := rigtest.CopyExample(t, ex.Name)
	c := d.runContainer(t, d.build(t, "docker", dir, "example-scratch"))
	out := c.follow()
	started := ex.WaitStarted(t, c)
	first, old := c.state(), c.appProcs()
	if _, err := c.Exec(nil, "sh", "-c", "true"); err == nil {
		t.Fatal("the scratch image has a shell")
	}

	ex.Change(t, dir, dockerArch(t))
	d.run(t, nil, "docker", "cp", filepath.Join(dir, ex.Binary), c.id+":/counter")
	for _, argv := range ex.Run {
		c.exec(nil, argv...)
	}
	v2 := rigtest.PidIn(t, ex.WaitUpdated(t, c, started)[0])
	c.checkGone(old)
	c.checkNotRestarted(first)
	checkSynced(t, c, filepath.Join(dir, ex.Binary), "/counter")

	d.run(t, nil, "docker", "stop", c.id)
	out.Wait("counter v2: pid " + v2 + " stopping")
	if code := c.inspect("{{.State.ExitCode}}"); code != "0" {
		t.Errorf("exit code after docker stop = %s, want the counter's own 0", code)
	}
}

// testExampleScratchTilt plays scenario.Scratch (examples/scratch/Tiltfile:
// the dev target with RESTART_TOOLS=on, Tilt's tar sync on scratch, the
// list-form trigger).
func testExampleScratchTilt(t *testing.T, d *daemon) {
	t.Parallel()
	ex := scenario.Scratch
	dir, c := startExample(t, d, ex, "example-scratch-dev")
	started := ex.WaitStarted(t, c)
	first, old := c.state(), c.appProcs()

	ex.Change(t, dir, dockerArch(t))
	ex.LiveUpdate(t, dir, c)
	ex.WaitUpdated(t, c, started)
	c.checkGone(old)
	c.checkNotRestarted(first)
	checkSynced(t, c, filepath.Join(dir, ex.Binary), "/counter")
}

// testExamplesOtherBuilders builds each example once with the rig's
// buildkitd, through buildx or buildctl, and checks that it starts under
// the supervisor. go-server runs with arguments, which replace CMD only, as
// Kubernetes args: and Compose command: do.
func testExamplesOtherBuilders(t *testing.T, d *daemon) {
	for _, tc := range []struct {
		example, builder string
		args             []string // build args
		runArgs          []string // after the image in docker run
		want             string   // in the app's output
	}{
		{"go-server", "buildx", nil, []string{"--greeting=howdy"}, `serving "howdy"`},
		{"shell", "buildctl", nil, nil, "ticker version 1, pid "},
		{"python", "buildx", []string{"RESTART_WATCH=/app", "RESTART_EXIT_POLICY=continue"}, nil, "python v1 pid "},
		{"scratch", "buildctl", nil, nil, "counter v1: pid "},
	} {
		t.Run(tc.example+"/"+tc.builder, func(t *testing.T) {
			t.Parallel()
			image := d.build(t, tc.builder, rigtest.CopyExample(t, tc.example), "example-"+tc.example, tc.args...)
			c := d.runContainer(t, append([]string{image}, tc.runArgs...)...)
			c.follow().Wait(tc.want)
			if path := c.inspect("{{.Path}}"); path != "/.restart/supervisor" {
				t.Errorf("the container runs %s, want the supervisor", path)
			}
		})
	}
}

// goArch is the architecture of the rig's Docker daemons (both run on this
// host), which the host's go build must target.
var goArch = sync.OnceValues(func() (string, error) {
	out, err := docker20().tryRun(nil, "docker", "version", "--format", "{{.Server.Arch}}")
	return strings.TrimSpace(out), err
})

// dockerArch is goArch, or fails the test.
func dockerArch(t *testing.T) string {
	t.Helper()
	arch, err := goArch()
	if err != nil {
		t.Fatal(err)
	}
	return arch
}

// goBuild compiles the Go program in dir to out for the rig's dockerd.
func goBuild(t *testing.T, dir, out string) {
	t.Helper()
	rigtest.GoBuild(t, dir, out, dockerArch(t))
}

// httpGet asks the server in the container for / on port, with the tools
// the image has: bash's /dev/tcp on debian, python on python.
func httpGet(c *container, port int) string {
	c.t.Helper()
	script := fmt.Sprintf(`import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:%d/").read().decode())`, port)
	if _, err := c.d.tryRun(nil, "docker", "exec", c.id, "python", "--version"); err == nil {
		return c.exec(nil, "python", "-c", script)
	}
	return c.exec(nil, "bash", "-c", fmt.Sprintf(
		`exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && cat <&3`, port))
}

// checkSynced fails unless the container's file is the local one.
func checkSynced(t *testing.T, c *container, local, inContainer string) {
	t.Helper()
	want, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.readFile(inContainer), want) {
		t.Errorf("%s in the container is not the synced %s", inContainer, local)
	}
}

// TestExamplesConsistent checks what no container run can: each example has
// its Tiltfile, Kubernetes manifest, Compose file and README, names the same
// image in all three, builds Dockerfile targets that exist, and never
// replaces the image's ENTRYPOINT (which would bypass the supervisor).
func TestExamplesConsistent(t *testing.T) {
	index, err := os.ReadFile(filepath.Join("..", "..", "examples", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go-server", "shell", "python", "scratch"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "examples", name)
			read := func(file string) string {
				t.Helper()
				b, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			dockerfile, tiltfile := read("Dockerfile"), read("Tiltfile")
			k8s, compose := read("k8s.yaml"), read("docker-compose.yml")
			read("README.md")
			if !strings.Contains(string(index), "("+name+"/)") {
				t.Errorf("examples/README.md does not link %s/", name)
			}
			if first, _, _ := strings.Cut(dockerfile, "\n"); first != "# syntax=tiltdev/restart-frontend" {
				t.Errorf("the Dockerfile starts with %q", first)
			}
			m := regexp.MustCompile(`docker_build\(\s*'([^']+)'`).FindStringSubmatch(tiltfile)
			if m == nil {
				t.Fatal("no docker_build('IMAGE', ...) in the Tiltfile")
			}
			for file, text := range map[string]string{"k8s.yaml": k8s, "docker-compose.yml": compose} {
				if !regexp.MustCompile(`(?m)^\s*image: ` + regexp.QuoteMeta(m[1]) + `$`).MatchString(text) {
					t.Errorf("%s does not run the image %s that the Tiltfile builds", file, m[1])
				}
			}
			if tm := regexp.MustCompile(`target='([^']+)'`).FindStringSubmatch(tiltfile); tm != nil &&
				!regexp.MustCompile(`(?m)^FROM .* AS `+regexp.QuoteMeta(tm[1])+`$`).MatchString(dockerfile) {
				t.Errorf("the Tiltfile builds target %s, which the Dockerfile does not have", tm[1])
			}
			for _, c := range []struct{ file, text, bad string }{
				{"Tiltfile", tiltfile, `entrypoint\s*=`},
				{"k8s.yaml", k8s, `(?m)^\s*command:`},
				{"docker-compose.yml", compose, `(?m)^\s*entrypoint:`},
			} {
				if regexp.MustCompile(c.bad).MatchString(c.text) {
					t.Errorf("%s replaces the image's ENTRYPOINT, which bypasses the supervisor", c.file)
				}
			}
			if !strings.Contains(tiltfile, "live_update=[") || !strings.Contains(tiltfile, "sync(") {
				t.Error("the Tiltfile has no live_update with a sync step")
			}
		})
	}
}

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
)

// The tests of examples/: each builds its example with `docker build` (the
// daemon's BuildKit, which is what Tilt's docker_build uses), runs it, and
// applies a code change the way the example's Tiltfile would have Tilt apply
// it (see tilt_test.go). Then it checks that
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

// testExampleGoServer follows examples/go-server/Tiltfile: the binary is
// compiled on the host (local_resource), the image's dev target takes it,
// and a live update syncs a new build/app to /app/app and writes the trigger
// with a shell, as the image's non-root user.
func testExampleGoServer(t *testing.T, d *daemon) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "go-server")
	goBuild(t, dir, "build/app")
	c := d.runContainer(t, d.buildImage(t, "docker", dir, "example-go-server", buildOptions{target: "dev"}))
	out := c.follow()
	v1 := rigtest.PidIn(t, out.Wait("go-server v1 pid "))
	out.Wait(`serving "hello" on`)
	first, old := c.state(), c.appProcs()
	if uid := strings.TrimSpace(c.exec(nil, "id", "-u")); uid != "10001" {
		t.Fatalf("live update steps run as uid %s, want the image's USER 10001", uid)
	}
	if got := httpGet(c, 8080); !strings.Contains(got, "hello from go-server v1") {
		t.Fatalf("GET / = %q, want v1's answer", got)
	}

	// Save main.go: the local_resource compiles, Tilt syncs and runs.
	rigtest.Edit(t, dir, "main.go", `const version = "v1"`, `const version = "v2"`)
	goBuild(t, dir, "build/app")
	c.syncFiles(filepath.Join(dir, "build"), "/app", "app")
	c.runStep("date > /.restart-proc")

	v2 := rigtest.PidIn(t, out.Wait("go-server v2 pid "))
	out.Wait(`go-server v2 pid ` + v2 + `: serving "hello" on`)
	stopped := "go-server v1 pid " + v1 + ": shut down cleanly"
	if i, j := strings.Index(out.String(), stopped), strings.Index(out.String(), "go-server v2 pid "); i < 0 || i > j {
		t.Errorf("v1 did not shut down gracefully before v2 started; want %q first:\n%s", stopped, out)
	}
	c.checkGone(old)
	c.checkNotRestarted(first)
	if got := httpGet(c, 8080); !strings.Contains(got, "hello from go-server v2") {
		t.Errorf("GET / = %q, want v2's answer on the same port", got)
	}
	want, err := os.ReadFile(filepath.Join(dir, "build", "app"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.readFile("/app/app"), want) {
		t.Errorf("/app/app in the container is not the synced build/app")
	}

	d.run(t, nil, "docker", "stop", c.id)
	out.Wait("go-server v2 pid " + v2 + ": shut down cleanly")
	if code := c.inspect("{{.State.ExitCode}}"); code != "0" {
		t.Errorf("exit code after docker stop = %s, want the server's own 0", code)
	}
}

// testExampleShell follows examples/shell/Tiltfile on its shell-form CMD:
// a changed script and message file are synced, a deleted message is
// removed with rm -rf, and the trigger restarts both the shell and the
// script it runs.
func testExampleShell(t *testing.T, d *daemon) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "shell")
	c := d.runContainer(t, d.build(t, "docker", dir, "example-shell"))
	out := c.follow()
	out.Wait("ticker version 1, pid ")
	out.Wait("message old: ")
	first, old := c.state(), c.appProcs()
	if !rigtest.HasProc(old, "/bin/sh -c ") || !rigtest.HasProc(old, "ticker.sh") {
		t.Fatalf("want the CMD's shell and the script it runs as two processes, have %v", old)
	}

	rigtest.Edit(t, dir, "ticker.sh", "version=1", "version=2")
	rigtest.WriteFile(t, dir, "messages/new.txt", "synced by the live update\n")
	if err := os.Remove(filepath.Join(dir, "messages", "old.txt")); err != nil {
		t.Fatal(err)
	}
	c.syncFiles(dir, "/app", "ticker.sh", "messages/new.txt")
	c.deleteFiles("/app/messages/old.txt")
	c.runStep("date > /.restart-proc")

	line := out.Wait("ticker version 2, pid ")
	pid := rigtest.PidIn(t, line)
	out.Wait("ticker pid " + pid + ": ")
	all := out.String()
	listing := all[strings.Index(all, line):]
	listing = listing[:strings.Index(listing, "ticker pid "+pid+": ")]
	if !strings.Contains(listing, "message new: synced by the live update") || strings.Contains(listing, "message old:") {
		t.Errorf("v2 listed the wrong messages, want new.txt and no old.txt:\n%s", listing)
	}
	c.checkGone(old)
	c.checkNotRestarted(first)
	if got := string(c.readFile("/app/messages/new.txt")); got != "synced by the live update\n" {
		t.Errorf("/app/messages/new.txt = %q", got)
	}
	if _, err := c.d.tryRun(nil, "docker", "exec", c.id, "test", "!", "-e", "/app/messages/old.txt"); err != nil {
		t.Errorf("/app/messages/old.txt is still in the container: %v", err)
	}
}

// testExamplePython follows examples/python/Tiltfile: built with
// RESTART_WATCH=/app and RESTART_EXIT_POLICY=continue, a live update is a
// sync alone. A change restarts the interpreter on the new source; a change
// that makes the app crash leaves the container up, and the fix starts the
// app again.
func testExamplePython(t *testing.T, d *daemon) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "python")
	c := d.runContainer(t, d.build(t, "docker", dir, "example-python", "RESTART_WATCH=/app", "RESTART_EXIT_POLICY=continue"))
	out := c.follow()
	out.Wait("python v1 pid ")
	first, old := c.state(), c.appProcs()
	if got := httpGet(c, 8000); !strings.Contains(got, "hello from python v1") {
		t.Fatalf("GET / = %q, want v1's answer", got)
	}

	rigtest.Edit(t, dir, "app/greeting.py", `VERSION = "v1"`, `VERSION = "v2"`)
	c.syncFiles(filepath.Join(dir, "app"), "/app", "greeting.py")
	out.Wait("python v2 pid ")
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
	c.syncFiles(filepath.Join(dir, "app"), "/app", "greeting.py")
	out.Wait("RuntimeError: broken on purpose")
	c.waitNoApp()
	c.checkNotRestarted(first)

	// The fix.
	rigtest.WriteFile(t, dir, "app/greeting.py", strings.Replace(string(good), `VERSION = "v2"`, `VERSION = "v3"`, 1))
	c.syncFiles(filepath.Join(dir, "app"), "/app", "greeting.py")
	out.Wait("python v3 pid ")
	c.checkNotRestarted(first)
	if got := httpGet(c, 8000); !strings.Contains(got, "hello from python v3") {
		t.Errorf("GET / = %q, want v3's answer", got)
	}
	want, err := os.ReadFile(filepath.Join(dir, "app", "greeting.py"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.readFile("/app/greeting.py"); !bytes.Equal(got, want) {
		t.Errorf("/app/greeting.py in the container = %q, want the synced %q", got, want)
	}

	d.run(t, nil, "docker", "stop", c.id)
	if code := c.inspect("{{.State.ExitCode}}"); code != "0" {
		t.Errorf("exit code after docker stop = %s, want the app's own 0", code)
	}
}

// testExampleScratch updates examples/scratch's default image, which holds
// nothing but the binary: no tar for Tilt's sync, so the new binary goes in
// with `docker cp` (the daemon writes it), and the trigger is the list-form
// run step that needs no shell.
func testExampleScratch(t *testing.T, d *daemon) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "scratch")
	c := d.runContainer(t, d.build(t, "docker", dir, "example-scratch"))
	out := c.follow()
	out.Wait("counter v1: pid ")
	first, old := c.state(), c.appProcs()
	if _, err := c.d.tryRun(nil, "docker", "exec", c.id, "sh", "-c", "true"); err == nil {
		t.Fatal("the scratch image has a shell")
	}

	rigtest.Edit(t, dir, "main.go", `const version = "v1"`, `const version = "v2"`)
	goBuild(t, dir, "build/counter")
	d.run(t, nil, "docker", "cp", filepath.Join(dir, "build", "counter"), c.id+":/counter")
	c.runArgv("/.restart/supervisor", "restart")

	v2 := rigtest.PidIn(t, out.Wait("counter v2: pid "))
	c.checkGone(old)
	c.checkNotRestarted(first)
	checkSynced(t, c, filepath.Join(dir, "build", "counter"), "/counter")

	d.run(t, nil, "docker", "stop", c.id)
	out.Wait("counter v2: pid " + v2 + " stopping")
	if code := c.inspect("{{.State.ExitCode}}"); code != "0" {
		t.Errorf("exit code after docker stop = %s, want the counter's own 0", code)
	}
}

// testExampleScratchTilt follows examples/scratch/Tiltfile: the dev target
// (the host-compiled binary) built with RESTART_TOOLS=on, so that Tilt's tar
// sync works on scratch, and the list-form trigger.
func testExampleScratchTilt(t *testing.T, d *daemon) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "scratch")
	goBuild(t, dir, "build/counter")
	c := d.runContainer(t, d.buildImage(t, "docker", dir, "example-scratch-dev", buildOptions{target: "dev", args: []string{"RESTART_TOOLS=on"}}))
	out := c.follow()
	out.Wait("counter v1: pid ")
	first, old := c.state(), c.appProcs()

	rigtest.Edit(t, dir, "main.go", `const version = "v1"`, `const version = "v2"`)
	goBuild(t, dir, "build/counter")
	c.syncFiles(filepath.Join(dir, "build"), "/", "counter")
	c.runArgv("/.restart/supervisor", "restart")

	out.Wait("counter v2: pid ")
	c.checkGone(old)
	c.checkNotRestarted(first)
	checkSynced(t, c, filepath.Join(dir, "build", "counter"), "/counter")
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

// goBuild compiles the Go program in dir to out for the rig's dockerd.
func goBuild(t *testing.T, dir, out string) {
	t.Helper()
	arch, err := goArch()
	if err != nil {
		t.Fatal(err)
	}
	rigtest.GoBuild(t, dir, out, arch)
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

package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// `supervisor restart --wait` as the last step of a live update, in the
// images the frontend builds, as Tilt's Docker path runs it (tilt_test.go):
// exec rm -rf, exec tar -x with the archive on stdin, then the run step, in
// the string form (sh -c) and the list form (raw argv, as a Kubernetes exec
// runs it too). Outcomes are told by exit codes and output, never by time.

// restartWait is the recommended run step in Tilt's list form.
var restartWait = []string{"/.restart/supervisor", "restart", "--wait"}

// execCode runs argv in the container as docker exec does, with extra docker
// exec flags (-u), and returns its output and exit code.
func (c *container) execCode(flags []string, argv ...string) (string, int) {
	c.t.Helper()
	out, err := c.d.tryRun(nil, append(append(append([]string{"docker", "exec"}, flags...), c.id), argv...)...)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return err.Error(), ee.ExitCode()
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return out, 0
}

func expectCode(t *testing.T, what, out string, code, want int, texts ...string) {
	t.Helper()
	if code != want {
		t.Errorf("%s: exit code %d, want %d: %s", what, code, want, out)
	}
	for _, s := range texts {
		if !strings.Contains(out, s) {
			t.Errorf("%s: output lacks %q: %s", what, s, out)
		}
	}
}

// TestRestartWaitGoServer replays the go-server Tiltfile's live update with
// restart --wait: a good change succeeds with one line, in both forms of the
// run step; a change that crashes on start fails with the server's exit
// code (exit policy continue keeps the container, as with Tilt on
// Kubernetes a crash would otherwise restart the pod).
func TestRestartWaitGoServer(t *testing.T) {
	d := docker20()
	t.Parallel()
	dir := rigtest.CopyExample(t, "go-server")
	goBuild(t, dir, "build/app")
	c := d.runContainer(t, "-e", "RESTART_EXIT_POLICY=continue",
		d.buildImage(t, "docker", dir, "example-go-server", buildOptions{target: "dev"}))
	out := c.follow()
	out.Wait(`go-server v1 pid `)
	first := c.state()

	prev := "v1"
	liveUpdate := func(version, extra string) {
		t.Helper()
		rigtest.Edit(t, dir, "main.go", `const version = "`+prev+`"`, `const version = "`+version+`"`)
		prev = version
		if extra != "" {
			rigtest.Edit(t, dir, "main.go", "\tflag.Parse()\n", "\tflag.Parse()\n"+extra)
		}
		goBuild(t, dir, "build/app")
		c.deleteFiles("/app/removed-file")
		c.syncFiles(filepath.Join(dir, "build"), "/app", "app")
	}

	liveUpdate("v2", "")
	got, code := c.execCode(nil, restartWait...)
	expectCode(t, "list form", got, code, 0, "restart: pid ", " stopped in ", " started and stayed up 1s (generation 2)")
	if strings.Count(got, "\n") != 1 {
		t.Errorf("list form: want one line, got %q", got)
	}
	out.Wait(`go-server v2 pid `)
	// The socket the supervisor holds (RESTART_LISTEN in the Dockerfile).
	if got := httpGet(c, 8080); !strings.Contains(got, "hello from go-server v2") {
		t.Errorf("GET / = %q, want v2's answer", got)
	}

	liveUpdate("v3", "")
	got, code = c.execCode(nil, "sh", "-c", strings.Join(restartWait, " "))
	expectCode(t, "string form", got, code, 0, "started and stayed up 1s (generation 3)")
	out.Wait(`go-server v3 pid `)

	liveUpdate("v4", "\tos.Exit(3) // a change that crashes on start\n")
	got, code = c.execCode(nil, restartWait...)
	expectCode(t, "a crash on start", got, code, 3, "the new app (pid ", "exited with code 3")
	c.checkNotRestarted(first)
}

// TestRestartWaitFaults: restart --wait as another user, with a read-only
// root filesystem and the trigger elsewhere, with the fault app of
// faults_test.go.
func TestRestartWaitFaults(t *testing.T) {
	d := docker20()
	t.Parallel()
	t.Run("as a user other than the supervisor's", func(t *testing.T) {
		t.Parallel()
		c := d.runContainer(t, appImage(t, d))
		c.waitLog("gen 1 ", 1)
		got, code := c.execCode([]string{"-u", "12345:12345"}, restartWait...)
		expectCode(t, "uid 12345", got, code, 0, "(generation 2)")
	})
	t.Run("with a read-only root filesystem", func(t *testing.T) {
		t.Parallel()
		c := d.runContainer(t, "--read-only", "--tmpfs", "/tmp", "-e", "RESTART_TRIGGER=/tmp/restart", "-e", "TRIGGER=/tmp/restart", appImage(t, d))
		c.waitLog("gen 1 ", 1)
		got, code := c.execCode(nil, append(restartWait, "--settle=0")...)
		expectCode(t, "read-only", got, code, 0, "(generation 2)")
	})
	t.Run("a crash names the code", func(t *testing.T) {
		t.Parallel()
		c := d.runContainer(t, "-e", "RESTART_EXIT_POLICY=continue", "-e", "MODE=crash", appImage(t, d))
		c.waitLog("gen 1 ", 1)
		c.exec(nil, "touch", "/tmp/crash")
		c.waitLog("gen 1 crashing", 1)
		got, code := c.execCode(nil, restartWait...)
		expectCode(t, "crash", got, code, 7, "exited with code 7")
	})
}

// TestComposeWatchRestartWait runs examples/shell with Compose alone:
// `docker compose watch` copies each saved ticker.sh into the container
// (develop.watch, action sync+exec) and execs restart --wait there, whose
// line shows in the watch output. A script that fails on start fails the
// exec with its exit code, which the watch output names too, and the
// container stays (the example's exit policy is continue).
func TestComposeWatchRestartWait(t *testing.T) {
	d := docker20()
	t.Parallel()
	p := newComposeProject(t, d, "shell", "shell")
	// A project and an image of its own: TestComposeShell runs the same
	// example at the same time.
	p.name += "-watch"
	rigtest.WriteFile(t, p.dir, "compose.e2e.yml", fmt.Sprintf("services:\n  shell:\n    image: %s/e2e/example-shell:compose-watch\n    ports: !reset []\n",
		os.Getenv("RIG_REGISTRY")))
	p.compose("up", "-d", "--build")
	c := p.container()
	out := c.follow()
	out.Wait("ticker version 1, pid ")
	first := c.state()

	// As TestComposeWatchPython does: the plugin binary itself, so that
	// stopping it stops the watcher.
	plugin := strings.TrimSpace(d.run(t, nil, "docker", "info", "--format",
		`{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}`))
	watchOut := startOutput(t, exec.Command(plugin, append(p.args()[1:], "watch", "--no-up")...), syscall.SIGTERM)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output of docker compose watch:\n%s", watchOut)
		}
	})
	watchOut.Wait("Watch enabled")

	rigtest.Edit(t, p.dir, "ticker.sh", "version=1", "version=2")
	out.Wait("ticker version 2, pid ")
	watchOut.Wait("started and stayed up 1s (generation 2)")

	rigtest.WriteFile(t, p.dir, "ticker.sh", "#!/bin/sh\necho \"ticker version 3 failing on purpose\"\nexit 3\n")
	watchOut.Wait("exited with code 3")
	c.checkNotRestarted(first)
}

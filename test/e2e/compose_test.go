package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// testComposeShell runs examples/shell with Docker Compose, as
// `tilt up -- --compose` does: `docker compose up --build` with the example's
// docker-compose.yml, whose environment sets RESTART_EXIT_POLICY=continue at
// run time. A live update makes the script crash: the container stays up,
// with the synced files, and the next live update (the fix) starts the app
// again. Files go in as Tilt's do for Compose (tar through docker exec);
// the trigger goes through `docker compose exec`.
func testComposeShell(t *testing.T, d *daemon) {
	t.Parallel()
	p := newComposeProject(t, d, "shell", "shell")
	p.compose("up", "-d", "--build")
	c := p.container()
	out := c.follow()
	out.Wait("ticker version 1, pid ")
	out.Wait("greeting: hello from Compose")
	first, old := c.state(), c.appProcs()
	trigger := func() { p.compose("exec", "-T", "shell", "sh", "-c", "date > /.restart-proc") }

	// A change that makes the app exit with an error.
	good, err := os.ReadFile(filepath.Join(p.dir, "ticker.sh"))
	if err != nil {
		t.Fatal(err)
	}
	rigtest.WriteFile(t, p.dir, "ticker.sh", "#!/bin/sh\necho \"ticker version 2 crashing on purpose, pid $$\"\nexit 3\n")
	c.syncFiles(p.dir, "/app", "ticker.sh")
	trigger()
	out.Wait("ticker version 2 crashing on purpose")
	c.waitNoApp()
	c.checkGone(old)
	c.checkNotRestarted(first)

	// The fix: the next live update starts the app again, in the same
	// container.
	rigtest.WriteFile(t, p.dir, "ticker.sh", strings.Replace(string(good), "version=1", "version=3", 1))
	c.syncFiles(p.dir, "/app", "ticker.sh")
	trigger()
	out.Wait("ticker version 3, pid ")
	c.checkNotRestarted(first)
	checkSynced(t, c, filepath.Join(p.dir, "ticker.sh"), "/app/ticker.sh")

	p.compose("stop", "-t", "10")
	if got := c.inspect("{{.State.Running}}"); got != "false" {
		t.Errorf("the container still runs after docker compose stop")
	}
}

// testComposeWatchPython runs examples/python with Compose alone: `docker
// compose watch` syncs a saved file (its develop.watch section) and the
// image's RESTART_WATCH=/app restarts the app, not the container.
func testComposeWatchPython(t *testing.T, d *daemon) {
	t.Parallel()
	p := newComposeProject(t, d, "python", "python")
	p.compose("up", "-d", "--build")
	c := p.container()
	out := c.follow()
	out.Wait("python v1 pid ")
	first, old := c.state(), c.appProcs()

	// The plugin binary itself, standalone (as docker-compose): the docker
	// CLI puts a plugin in a process group of its own and does not stop it
	// when it is stopped itself, so cancelling `docker compose watch` would
	// leave the watcher running.
	plugin := strings.TrimSpace(d.run(t, nil, "docker", "info", "--format",
		`{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}`))
	watch := exec.Command(plugin, append(p.args()[1:], "watch", "--no-up")...)
	watch.Env = d.env()
	watchOut := startOutput(t, watch, syscall.SIGTERM)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output of docker compose watch:\n%s", watchOut)
		}
	})
	watchOut.Wait("Watch enabled")

	rigtest.Edit(t, p.dir, "app/greeting.py", `VERSION = "v1"`, `VERSION = "v2"`)
	out.Wait("python v2 pid ")
	c.checkGone(old)
	c.checkNotRestarted(first)
	checkSynced(t, c, filepath.Join(p.dir, "app", "greeting.py"), "/app/greeting.py")
}

// composeProject is a copy of an example run as a Compose project of the
// test's own, with an image name of its own and no published ports (the
// rig's dockerd has no iptables, and tests run in parallel).
type composeProject struct {
	t            *testing.T
	d            *daemon // where it runs
	dir, name    string
	service      string
	composeFiles []string
}

func newComposeProject(t *testing.T, d *daemon, example, service string) *composeProject {
	t.Helper()
	if _, err := d.tryRun(nil, "docker", "compose", "version"); err != nil {
		rigtest.Unavailable(t, "RIG_COMPOSE", fmt.Sprintf("docker compose is not installed as a CLI plugin in DOCKER_CONFIG (%s): "+
			"`make rig` builds it from hack/tools/compose: %v", os.Getenv("DOCKER_CONFIG"), err))
	}
	dir := rigtest.CopyExample(t, example)
	rigtest.WriteFile(t, dir, "compose.e2e.yml", fmt.Sprintf("services:\n  %s:\n    image: %s/e2e/example-%s:compose\n    ports: !reset []\n",
		service, os.Getenv("RIG_REGISTRY"), example))
	p := &composeProject{
		t: t, d: d, dir: dir, service: service,
		name:         fmt.Sprintf("rf-e2e-%s-%d", example, os.Getpid()),
		composeFiles: []string{filepath.Join(dir, "docker-compose.yml"), filepath.Join(dir, "compose.e2e.yml")},
	}
	t.Cleanup(func() {
		_, _ = d.tryRun(nil, append([]string{"docker"}, append(p.args(), "down", "-t", "0")...)...)
	})
	return p
}

// args are the docker arguments that select the project.
func (p *composeProject) args() []string {
	args := []string{"compose", "--project-directory", p.dir, "-p", p.name}
	for _, f := range p.composeFiles {
		args = append(args, "-f", f)
	}
	return args
}

func (p *composeProject) compose(args ...string) string {
	p.t.Helper()
	return p.d.run(p.t, nil, append(append([]string{"docker"}, p.args()...), args...)...)
}

// container returns the service's container.
func (p *composeProject) container() *container {
	p.t.Helper()
	c := &container{t: p.t, d: p.d, id: strings.TrimSpace(p.compose("ps", "-q", p.service))}
	if c.id == "" {
		p.t.Fatalf("docker compose ps found no container for the service %s", p.service)
	}
	p.t.Cleanup(func() {
		if p.t.Failed() {
			p.t.Logf("output of container %.12s:\n%s", c.id, c.logs())
		}
	})
	return c
}

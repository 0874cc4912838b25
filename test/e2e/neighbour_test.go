package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
	"github.com/tilt-dev/restart-frontend/test/statussock"
)

// testStatusSocketNeighbour: a container that shares the app's network
// namespace, as the other containers of a pod do, reaches the supervisor's
// abstract status socket (issue 28). It floods it, then, in a second round,
// binds its name before the supervisor starts and answers as one would.
// Each time the app still restarts on the next trigger, restart --wait
// tells the truth or fails with a clear error, and docker stop ends the
// container with the app's own code.
func testStatusSocketNeighbour(t *testing.T, d *daemon) {
	t.Parallel()
	neighbour, app := neighbourImage(t, d), appImage(t, d)

	t.Run("flood", func(t *testing.T) {
		c := d.runContainer(t, app)
		c.waitLog("gen 1 ", 1)
		flooder := d.runNextTo(t, c.id, neighbour, "flood", statusSocketName(t, c), "300")
		flooder.waitLog("neighbour: holding 300 connections", 1)
		out, code := c.execCode(nil, restartWait...)
		expectCode(t, "restart --wait beside a flood", out, code, 0, "(generation 2)")
		d.run(t, nil, "docker", "stop", c.id)
		if got := c.waitExitCode(); got != "143" {
			t.Errorf("docker stop: the container exited with %s, want the app's 143", got)
		}
	})

	t.Run("squat", func(t *testing.T) {
		// The name comes from the trigger's folder: on a volume it is the
		// same for every container, so the neighbour can take it first.
		volume := strings.TrimSpace(d.run(t, nil, "docker", "volume", "create"))
		t.Cleanup(func() { _, _ = d.tryRun(nil, "docker", "volume", "rm", "-f", volume) })
		onVolume := []string{"-v", volume + ":/restart", "-e", "RESTART_TRIGGER=/restart/trigger", "-e", "TRIGGER=/restart/trigger", app}
		first := d.runContainer(t, onVolume...)
		first.waitLog("gen 1 ", 1)
		name := statusSocketName(t, first)
		d.run(t, nil, "docker", "rm", "-f", first.id)

		squatter := d.runContainer(t, neighbour, "squat", name)
		squatter.waitLog("neighbour: bound "+name, 1)
		c := d.runNextTo(t, squatter.id, onVolume...)
		c.waitLog("gen 1 ", 1)
		c.waitLog("its address is taken", 1)
		out, code := c.execCode(nil, restartWait...)
		expectCode(t, "restart --wait with the name taken", out, code, 1, "is held by a process outside this container", "the trigger was not written")
		if strings.Contains(c.logs(), "gen 2 ") {
			t.Errorf("restart --wait wrote the trigger though it refused the socket:\n%s", c.logs())
		}
		out, code = c.execCode(nil, "/.restart/supervisor", "restart")
		expectCode(t, "restart without --wait", out, code, 0)
		c.waitLog("gen 2 ", 1)
		d.run(t, nil, "docker", "stop", c.id)
		if got := c.waitExitCode(); got != "143" {
			t.Errorf("docker stop: the container exited with %s, want the app's 143", got)
		}
	})
}

// runNextTo starts a container in the network namespace of the container
// next, as a pod's containers share one.
func (d *daemon) runNextTo(t *testing.T, next string, args ...string) *container {
	t.Helper()
	return d.startContainer(t, append([]string{"--network", "container:" + next}, args...)...)
}

// statusSocketName reads the abstract name of c's status socket from
// /proc/net/unix, as any process of its network namespace can.
func statusSocketName(t *testing.T, c *container) string {
	t.Helper()
	name, ok := statussock.Name(c.exec(nil, "cat", "/proc/net/unix"))
	if !ok {
		t.Fatalf("no %s socket in the container's /proc/net/unix", statussock.Prefix)
	}
	return name
}

var neighbourImages sync.Map // daemon name → image

// neighbourImage builds test/neighbour into a scratch image, once per
// daemon.
func neighbourImage(t *testing.T, d *daemon) string {
	t.Helper()
	if img, ok := neighbourImages.Load(d.name); ok {
		return img.(string)
	}
	dir := t.TempDir()
	rigtest.GoBuild(t, "../neighbour", filepath.Join(dir, "neighbour"), "")
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY neighbour /neighbour\nENTRYPOINT [\"/neighbour\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := d.build(t, "docker", dir, "neighbour")
	neighbourImages.Store(d.name, img)
	return img
}

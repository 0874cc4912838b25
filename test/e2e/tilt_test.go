package e2e

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
	"github.com/tilt-dev/restart-frontend/test/scenario"
)

// This file does to a running container what Tilt's live_update does
// (tilt-dev/tilt internal/containerupdate and internal/build/tar.go), through
// the docker CLI instead of the Engine API:
//
//   - sync: the changed files go in one tar archive, each entry named by its
//     path in the container without the leading slash, with the local file's
//     mode and time and uid/gid zeroed, streamed into
//     `docker exec -i CONTAINER tar -C / -x -f -`;
//   - deleted files: `docker exec CONTAINER rm -rf PATH...`;
//   - run: a string runs as `sh -c STRING`, a list as raw argv.
//
// Every exec runs as the container's user (no -u), as Tilt's do.

// hangGuard bounds every wait in these tests. It is not a latency check: the
// waits end as soon as what they wait for happens.
const hangGuard = 2 * time.Minute

// syncFiles is Tilt's sync step for the files rels under the local folder
// localDir, which a sync(localDir, containerDir) maps to containerDir.
func (c *container) syncFiles(localDir, containerDir string, rels ...string) {
	c.t.Helper()
	scenario.SyncFiles(c.t, c, localDir, containerDir, rels...)
}

// deleteFiles is Tilt's sync step for files deleted locally.
func (c *container) deleteFiles(paths ...string) {
	c.t.Helper()
	scenario.DeleteFiles(c.t, c, paths...)
}

// runStep is Tilt's run step: a string runs with sh -c.
func (c *container) runStep(cmd string) {
	c.t.Helper()
	scenario.Run(c.t, c, "sh", "-c", cmd)
}

// runArgv is Tilt's run step given a list: raw argv, no shell.
func (c *container) runArgv(argv ...string) {
	c.t.Helper()
	scenario.Run(c.t, c, argv...)
}

// readFile reads a file of the container with `docker cp`, which needs
// nothing in the image (not even cat).
func (c *container) readFile(name string) []byte {
	c.t.Helper()
	out := c.d.run(c.t, nil, "docker", "cp", c.id+":"+name, "-")
	tr := tar.NewReader(strings.NewReader(out))
	if _, err := tr.Next(); err != nil {
		c.t.Fatalf("docker cp %s:%s: %v", c.id, name, err)
	}
	data, err := io.ReadAll(tr)
	if err != nil {
		c.t.Fatal(err)
	}
	return data
}

// state is what says whether a container restarted.
type state struct {
	id, startedAt, restarts, running string
}

func (c *container) state() state {
	c.t.Helper()
	f := strings.Fields(c.inspect("{{.Id}} {{.State.StartedAt}} {{.RestartCount}} {{.State.Running}}"))
	if len(f) != 4 {
		c.t.Fatalf("docker inspect %s: %q", c.id, f)
	}
	return state{id: f[0], startedAt: f[1], restarts: f[2], running: f[3]}
}

// checkNotRestarted fails unless the container is the one that was started
// first, still running, with the same start time and no restart.
func (c *container) checkNotRestarted(first state) {
	c.t.Helper()
	if now := c.state(); now != first || now.restarts != "0" || now.running != "true" {
		c.t.Errorf("the container restarted or stopped: %+v, was %+v", now, first)
	}
}

// appProcs returns the container's processes but its PID 1 (the supervisor),
// as host pid → command line, from `docker top`.
func (c *container) appProcs() map[string]string {
	c.t.Helper()
	init := c.inspect("{{.State.Pid}}")
	procs := map[string]string{}
	lines := strings.Split(strings.TrimSpace(c.d.run(c.t, nil, "docker", "top", c.id, "-o", "pid,args")), "\n")
	for _, line := range lines[1:] { // the header
		pid, args, _ := strings.Cut(strings.TrimSpace(line), " ")
		if pid != init {
			procs[pid] = strings.TrimSpace(args)
		}
	}
	return procs
}

// checkGone fails if any process of old is still in the container.
func (c *container) checkGone(old map[string]string) {
	c.t.Helper()
	now := c.appProcs()
	for pid, args := range old {
		if now[pid] == args {
			c.t.Errorf("process %s (%s) of the old generation is still running; processes now: %v", pid, args, now)
		}
	}
}

// waitNoApp waits until no process but the supervisor is left.
func (c *container) waitNoApp() {
	c.t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		procs := c.appProcs()
		if len(procs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the app's processes never went away: %v", procs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// follow returns the container's output, from its start on, followed with
// `docker logs -f` (started on the first call).
func (c *container) follow() *rigtest.Output {
	c.t.Helper()
	if c.log == nil {
		c.log = startOutput(c.t, c.d.command(context.Background(), "docker", "logs", "-f", c.id), os.Kill)
	}
	return c.log
}

// Output is follow, for the live-update scenarios (scenario.Target).
func (c *container) Output() *rigtest.Output { return c.follow() }

// startOutput starts cmd with its stdout and stderr into an output, and
// stops it with the signal stop when the test ends. The output is done when
// cmd exits.
func startOutput(t *testing.T, cmd *exec.Cmd, stop os.Signal) *rigtest.Output {
	t.Helper()
	o := rigtest.NewOutput(t)
	cmd.Stdout, cmd.Stderr = o, o
	cmd.WaitDelay = time.Minute // for pipes left open by a child of cmd
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		o.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(stop)
		<-exited
	})
	return o
}

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// builders are the three ways users build: BuildKit's own client, buildx
// with the rig's buildkitd (remote driver), and the test's Docker daemon's
// BuildKit (what Tilt's docker_build uses through the Engine API).
var builders = []string{"buildctl", "buildx", "docker"}

// build builds the Dockerfile in dir with builder and returns an image name
// d can run. args are build args, NAME=VALUE. builder "docker" is `docker
// build` on d's own BuildKit.
func (d *daemon) build(t *testing.T, builder, dir, name string, args ...string) string {
	t.Helper()
	return d.buildImage(t, builder, dir, name, buildOptions{args: args})
}

// buildOptions are what a build may add to the Dockerfile and its context.
type buildOptions struct {
	args   []string // build args, NAME=VALUE
	target string   // the stage to build; the last one when empty
}

// buildImage is build with options.
func (d *daemon) buildImage(t *testing.T, builder, dir, name string, o buildOptions) string {
	t.Helper()
	image := os.Getenv("RIG_REGISTRY") + "/e2e/" + name + ":" + d.tag(builder)
	var cmd []string
	switch builder {
	case "buildctl":
		cmd = []string{"buildctl", "build", "--frontend", "dockerfile.v0",
			"--local", "context=" + dir, "--local", "dockerfile=" + dir,
			"--output", "type=image,name=" + image + ",push=true,registry.insecure=true"}
		for _, a := range o.args {
			cmd = append(cmd, "--opt", "build-arg:"+a)
		}
		if o.target != "" {
			cmd = append(cmd, "--opt", "target="+o.target)
		}
	case "buildx", "docker":
		cmd = []string{"docker", "build", "-t", image}
		if builder == "buildx" {
			cmd = []string{"docker", "buildx", "build", "--builder", "rig", "--load", "-t", image}
		}
		for _, a := range o.args {
			cmd = append(cmd, "--build-arg", a)
		}
		if o.target != "" {
			cmd = append(cmd, "--target", o.target)
		}
		cmd = append(cmd, dir)
	default:
		t.Fatalf("unknown builder %q", builder)
	}
	d.run(t, nil, cmd...)
	if builder == "buildctl" {
		d.run(t, nil, "docker", "pull", "-q", image)
	}
	return image
}

// run runs a command with stdin and returns its stdout; it fails the test
// with the command's output when the command fails. A docker command goes to
// d.
func (d *daemon) run(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	out, err := d.tryRun(stdin, args...)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return out
}

// tryRun runs a command and returns its stdout; its error carries stderr. A
// docker command goes to d.
func (d *daemon) tryRun(stdin []byte, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := d.command(ctx, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w\n%s%s", err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String(), nil
}

// container is a running container that is removed when the test ends.
type container struct {
	t   *testing.T
	d   *daemon // where it runs
	id  string
	log *rigtest.Output // its output, once followed
}

// runContainer runs a container on d with the docker run arguments args.
func (d *daemon) runContainer(t *testing.T, args ...string) *container {
	t.Helper()
	return d.startContainer(t, append([]string{"--network", "none"}, args...)...)
}

// startContainer is docker run -d with args; the container is removed when
// the test ends, its output logged if the test failed.
func (d *daemon) startContainer(t *testing.T, args ...string) *container {
	t.Helper()
	id := strings.TrimSpace(d.run(t, nil, append([]string{"docker", "run", "-d"}, args...)...))
	c := &container{t: t, d: d, id: id}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output of container %.12s:\n%s", id, c.logs())
		}
		_, _ = d.tryRun(nil, "docker", "rm", "-f", id)
	})
	return c
}

// logs returns the container's output, stdout and stderr interleaved.
func (c *container) logs() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, _ := c.d.command(ctx, "docker", "logs", c.id).CombinedOutput()
	return string(out)
}

// waitLog waits until the container's output holds want n times.
func (c *container) waitLog(want string, n int) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute) // a hang guard, not a latency check
	for strings.Count(c.logs(), want) < n {
		if time.Now().After(deadline) {
			c.t.Fatalf("container output never had %q %d times:\n%s", want, n, c.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exec runs args in the container as its user, with stdin, and returns its
// stdout; it fails the test when args fail.
func (c *container) exec(stdin []byte, args ...string) string {
	c.t.Helper()
	out, err := c.Exec(stdin, args...)
	if err != nil {
		c.t.Fatalf("docker exec %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// Exec is exec that returns the error, for the live-update scenarios
// (scenario.Target).
func (c *container) Exec(stdin []byte, args ...string) (string, error) {
	flags := []string{"docker", "exec"}
	if stdin != nil {
		flags = append(flags, "-i")
	}
	return c.d.tryRun(stdin, append(append(flags, c.id), args...)...)
}

func (c *container) inspect(format string) string {
	c.t.Helper()
	return strings.TrimSpace(c.d.run(c.t, nil, "docker", "inspect", "-f", format, c.id))
}

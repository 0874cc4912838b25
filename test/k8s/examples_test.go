package k8s

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
	"github.com/tilt-dev/restart-frontend/test/scenario"
)

// The tests of examples/ on Kubernetes: each builds its example as its
// Tiltfile's docker_build does (target, build args, a binary compiled on the
// host), deploys the example's own k8s.yaml with that image in place of the
// name the Tiltfile builds, waits for the pod to be Ready, and plays the
// example's live-update scenario (package scenario, shared with test/e2e)
// through pods/exec, the way the Tiltfile's live_update has Tilt apply it.
// Then it checks that
//
//   - the new code's output is in the pod's log;
//   - no process of the old generation is left in the container;
//   - the pod is the same (UID), its container never restarted
//     (restartCount 0, same container, same start time);
//   - the pod is Ready again (go-server has a readiness probe).

// deployExample builds ex as its Tiltfile does (scenario.Example.Prepare,
// its target and build args), deploys its k8s.yaml in a namespace of its
// own and returns the copy of the example, which the test changes, and the
// Ready pod.
func deployExample(t *testing.T, ex scenario.Example) (string, *pod) {
	t.Helper()
	dir := rigtest.CopyExample(t, ex.Name)
	ex.Prepare(t, dir, clusterArch(t))
	image := buildImage(t, dir, "example-"+ex.Name, buildOptions{target: ex.Target, args: ex.BuildArgs})
	manifest, err := os.ReadFile(filepath.Join(dir, "k8s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, nil)
	if err := cluster.Apply(ctx, ns, manifest, map[string]string{"restart-example-" + ex.Name: image}, nil); err != nil {
		t.Fatal(err)
	}
	return dir, waitPod(t, ns, "app="+ex.Name, ex.Name)
}

// liveUpdate plays ex's live update on p, whose first version printed
// started: the change, Tilt's steps through pods/exec, the new code's
// output; then the checks every example shares. It returns the lines of
// ex.Updated.
func liveUpdate(t *testing.T, ex scenario.Example, dir string, p *pod, started []string) []string {
	t.Helper()
	old := p.appProcs()
	ex.CheckProcs(t, old)
	ex.Change(t, dir, clusterArch(t))
	ex.LiveUpdate(t, dir, p)
	updated := ex.WaitUpdated(t, p, started)
	p.checkGone(old)
	p.checkNotRestarted()
	return updated
}

// TestExampleGoServer plays scenario.GoServer, with the manifest's args,
// as the image's non-root USER (the pod says runAsNonRoot); the pod is Ready
// again after (its readiness probe).
func TestExampleGoServer(t *testing.T) {
	t.Parallel()
	ex := scenario.GoServer
	dir, p := deployExample(t, ex)
	started := ex.WaitStarted(t, p)
	p.log.Wait(`serving "hello from Kubernetes" on`) // the manifest's args:

	v2 := rigtest.PidIn(t, liveUpdate(t, ex, dir, p, started)[0])
	p.log.Wait(`go-server v2 pid ` + v2 + `: serving "hello from Kubernetes" on`)
	p.waitReady()
}

// TestExampleShell plays scenario.Shell with the manifest's env.
func TestExampleShell(t *testing.T) {
	t.Parallel()
	ex := scenario.Shell
	dir, p := deployExample(t, ex)
	started := ex.WaitStarted(t, p)
	p.log.Wait("greeting: hello from Kubernetes") // the manifest's env:
	liveUpdate(t, ex, dir, p, started)
}

// TestExamplePython plays scenario.Python: a sync alone restarts the
// interpreter.
func TestExamplePython(t *testing.T) {
	t.Parallel()
	ex := scenario.Python
	dir, p := deployExample(t, ex)
	liveUpdate(t, ex, dir, p, ex.WaitStarted(t, p))
}

// TestExampleScratch plays scenario.Scratch with the manifest's args: no
// shell in the image, Tilt's tar from RESTART_TOOLS=on, the list-form run
// step.
func TestExampleScratch(t *testing.T) {
	t.Parallel()
	ex := scenario.Scratch
	dir, p := deployExample(t, ex)
	started := ex.WaitStarted(t, p)
	p.log.Wait(`args ["--from=kubernetes"]`) // the manifest's args:
	if _, err := p.Exec(nil, "sh", "-c", "true"); err == nil {
		t.Fatal("the scratch image has a shell")
	}
	liveUpdate(t, ex, dir, p, started)
}

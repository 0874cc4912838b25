package k8s

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// The tests of examples/ on Kubernetes: each builds its example as its
// Tiltfile's docker_build does (target, build args, a binary compiled on the
// host), deploys the example's own k8s.yaml with that image in place of the
// name the Tiltfile builds, waits for the pod to be Ready, and applies a
// code change the way the Tiltfile's live_update has Tilt apply it. Then it
// checks that
//
//   - the new code's output is in the pod's log;
//   - no process of the old generation is left in the container;
//   - the pod is the same (UID), its container never restarted
//     (restartCount 0, same container, same start time);
//   - the pod is Ready again (go-server has a readiness probe).

// deployExample builds examples/NAME, deploys its k8s.yaml in a namespace of
// its own and returns the Ready pod. dir is the copy of the example (which
// the test may have compiled into).
func deployExample(t *testing.T, name, dir string, o buildOptions) *pod {
	t.Helper()
	image := buildImage(t, dir, "example-"+name, o)
	manifest, err := os.ReadFile(filepath.Join(dir, "k8s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, nil)
	if err := cluster.Apply(ctx, ns, manifest, map[string]string{"restart-example-" + name: image}, nil); err != nil {
		t.Fatal(err)
	}
	return waitPod(t, ns, "app="+name, name)
}

// TestExampleGoServer follows examples/go-server/Tiltfile: the binary is
// compiled on the host, the image's dev target takes it, and the live update
// syncs a new build/app to /app/app and writes the trigger with a shell, as
// the image's non-root USER (the pod says runAsNonRoot).
func TestExampleGoServer(t *testing.T) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "go-server")
	goBuild(t, dir, "build/app")
	p := deployExample(t, "go-server", dir, buildOptions{target: "dev"})
	v1 := rigtest.PidIn(t, p.log.Wait("go-server v1 pid "))
	p.log.Wait(`serving "hello from Kubernetes" on`) // the manifest's args:
	old := p.appProcs()
	if uid := strings.TrimSpace(p.exec(nil, "id", "-u")); uid != "10001" {
		t.Fatalf("live update steps run as uid %s, want the image's USER 10001", uid)
	}

	rigtest.Edit(t, dir, "main.go", `const version = "v1"`, `const version = "v2"`)
	goBuild(t, dir, "build/app")
	p.syncFiles(filepath.Join(dir, "build"), "/app", "app")
	p.runStep("date > /.restart-proc")

	v2 := rigtest.PidIn(t, p.log.Wait("go-server v2 pid "))
	p.log.Wait(`go-server v2 pid ` + v2 + `: serving "hello from Kubernetes" on`)
	p.log.Wait("go-server v1 pid " + v1 + ": shut down cleanly")
	p.checkGone(old)
	p.checkNotRestarted()
	p.waitReady()
}

// TestExampleShell follows examples/shell/Tiltfile on its shell-form CMD: a
// changed script and message file are synced, a deleted message is removed
// with rm -rf, and the trigger restarts both the shell and the script.
func TestExampleShell(t *testing.T) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "shell")
	p := deployExample(t, "shell", dir, buildOptions{})
	p.log.Wait("ticker version 1, pid ")
	p.log.Wait("greeting: hello from Kubernetes") // the manifest's env:
	p.log.Wait("message old: ")
	old := p.appProcs()
	if !rigtest.HasProc(old, "/bin/sh -c ") || !rigtest.HasProc(old, "ticker.sh") {
		t.Fatalf("want the CMD's shell and the script it runs as two processes, have %v", old)
	}

	rigtest.Edit(t, dir, "ticker.sh", "version=1", "version=2")
	rigtest.WriteFile(t, dir, "messages/new.txt", "synced by the live update\n")
	if err := os.Remove(filepath.Join(dir, "messages", "old.txt")); err != nil {
		t.Fatal(err)
	}
	p.deleteFiles("/app/messages/old.txt")
	p.syncFiles(dir, "/app", "ticker.sh", "messages/new.txt")
	p.runStep("date > /.restart-proc")

	line := p.log.Wait("ticker version 2, pid ")
	v2 := rigtest.PidIn(t, line)
	p.log.Wait("ticker pid " + v2 + ": ")
	all := p.log.String()
	listing := all[strings.Index(all, line):]
	listing = listing[:strings.Index(listing, "ticker pid "+v2+": ")]
	if !strings.Contains(listing, "message new: synced by the live update") || strings.Contains(listing, "message old:") {
		t.Errorf("v2 listed the wrong messages, want new.txt and no old.txt:\n%s", listing)
	}
	p.checkGone(old)
	p.checkNotRestarted()
}

// TestExamplePython follows examples/python/Tiltfile: built with
// RESTART_WATCH=/app and RESTART_EXIT_POLICY=continue, a live update is a
// sync alone, and the supervisor restarts the interpreter on the new source.
func TestExamplePython(t *testing.T) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "python")
	p := deployExample(t, "python", dir, buildOptions{args: []string{"RESTART_WATCH=/app", "RESTART_EXIT_POLICY=continue"}})
	p.log.Wait("python v1 pid ")
	old := p.appProcs()

	rigtest.Edit(t, dir, "app/greeting.py", `VERSION = "v1"`, `VERSION = "v2"`)
	p.syncFiles(filepath.Join(dir, "app"), "/app", "greeting.py")

	p.log.Wait("python v2 pid ")
	p.checkGone(old)
	p.checkNotRestarted()
}

// TestExampleScratch follows examples/scratch/Tiltfile: the dev target (the
// host-compiled counter) built with RESTART_TOOLS=on, so that Tilt's tar sync
// works on scratch, and the list-form run step, which needs no shell.
func TestExampleScratch(t *testing.T) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "scratch")
	goBuild(t, dir, "build/counter")
	p := deployExample(t, "scratch", dir, buildOptions{target: "dev", args: []string{"RESTART_TOOLS=on"}})
	p.log.Wait(`counter v1: pid `)
	p.log.Wait(`args ["--from=kubernetes"]`) // the manifest's args:
	old := p.appProcs()
	if _, err := p.tryExec(nil, "sh", "-c", "true"); err == nil {
		t.Fatal("the scratch image has a shell")
	}

	rigtest.Edit(t, dir, "main.go", `const version = "v1"`, `const version = "v2"`)
	goBuild(t, dir, "build/counter")
	p.syncFiles(filepath.Join(dir, "build"), "/", "counter")
	p.exec(nil, "/.restart/supervisor", "restart")

	p.log.Wait("counter v2: pid ")
	p.checkGone(old)
	p.checkNotRestarted()
}

package k8s

import (
	"errors"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tilt-dev/restart-frontend/test/kube"
	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// The Kubernetes cases: what a pod spec can do to the supervisor that
// docker run cannot. Each runs testdata/app (a script on busybox, numeric
// USER 4242, ENTRYPOINT /app/app.sh, CMD from-cmd) in a pod of its own.

// appImage is testdata/app, built once by the first case that asks.
var appImage struct {
	once sync.Once
	ref  string
}

// appContainer is the container of the cases, named app.
func appContainer(t *testing.T) corev1.Container {
	t.Helper()
	appImage.once.Do(func() { appImage.ref = buildImage(t, "testdata/app", "app", buildOptions{}) })
	if appImage.ref == "" {
		t.Fatal("testdata/app did not build (see the test that built it first)")
	}
	return corev1.Container{Name: "app", Image: appImage.ref}
}

// runPod creates a pod named app in a new namespace (with nsLabels) and
// returns it once Ready.
func runPod(t *testing.T, nsLabels map[string]string, spec corev1.PodSpec) *pod {
	t.Helper()
	ns := namespace(t, nsLabels)
	if _, err := cluster.Client.CoreV1().Pods(ns).Create(ctx, appPod(spec), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return waitPod(t, ns, "app=app", "app")
}

func appPod(spec corev1.PodSpec) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: map[string]string{"app": "app"}}, Spec: spec}
}

// liveUpdate syncs /app/version with version and writes the trigger, as a
// Tiltfile with sync('./app', '/app') and run('date > /.restart-proc') would,
// and waits for the new version's first line, which it returns.
func (p *pod) liveUpdate(version string) string {
	p.t.Helper()
	dir := p.t.TempDir()
	rigtest.WriteFile(p.t, dir, "version", version+"\n")
	p.syncFiles(dir, "/app", "version")
	p.runStep("date > /.restart-proc")
	return p.log.Wait("app " + version + " started")
}

// TestRunAsUserOtherThanUSER: securityContext.runAsUser replaces the image's
// USER for the app and for every exec of the live update; the trigger,
// mode 0666, is writable by that user too.
func TestRunAsUserOtherThanUSER(t *testing.T) {
	t.Parallel()
	uid := int64(5000)
	p := runPod(t, nil, corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsUser: &uid},
		Containers:      []corev1.Container{appContainer(t)},
	})
	p.log.Wait("app v1 started")
	p.log.Wait("uid 5000 ")
	if got := strings.TrimSpace(p.exec(nil, "id", "-u")); got != "5000" {
		t.Errorf("the live update's execs run as uid %s, want runAsUser 5000", got)
	}
	p.runStep("date > /.restart-proc")
	p.log.WaitN("app v1 started", 2)
	if got := strings.Count(p.log.String(), "uid 5000 "); got != 2 {
		t.Errorf("want both generations as uid 5000, have %d:\n%s", got, p.log)
	}
	p.checkNotRestarted()
}

// TestRunAsNonRootWithNumericUSER: runAsNonRoot admits the image, whose
// USER is numeric, and the live update (sync and trigger as that user)
// restarts the app.
func TestRunAsNonRootWithNumericUSER(t *testing.T) {
	t.Parallel()
	yes := true
	p := runPod(t, nil, corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes},
		Containers:      []corev1.Container{appContainer(t)},
	})
	p.log.Wait("app v1 started")
	old := p.appProcs()
	if line := p.liveUpdate("v2"); !strings.Contains(line, " uid 4242 ") {
		t.Errorf("want the image's USER 4242: %s", line)
	}
	p.checkGone(old)
	p.checkNotRestarted()
}

// restricted is a container security context that the restricted Pod
// Security Standard admits.
func restricted() *corev1.SecurityContext {
	no, yes := false, true
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: &no,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		RunAsNonRoot:             &yes,
	}
}

// TestRestrictedPodSecurityStandard: in a namespace that enforces the
// restricted standard (a pod without its settings is refused), the app
// runs with no capabilities, no privilege escalation and the runtime's
// seccomp profile, and a live update restarts it.
func TestRestrictedPodSecurityStandard(t *testing.T) {
	t.Parallel()
	labels := map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}
	ns := namespace(t, labels)
	_, err := cluster.Client.CoreV1().Pods(ns).Create(ctx, appPod(corev1.PodSpec{Containers: []corev1.Container{appContainer(t)}}), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "restricted") {
		t.Fatalf("the namespace admitted a pod that breaks the restricted standard: %v", err)
	}

	c := appContainer(t)
	c.SecurityContext = restricted()
	if _, err := cluster.Client.CoreV1().Pods(ns).Create(ctx, appPod(corev1.PodSpec{Containers: []corev1.Container{c}}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := waitPod(t, ns, "app=app", "app")
	p.log.Wait("app v1 started")
	if status := p.exec(nil, "cat", "/proc/1/status"); !strings.Contains(status, "CapEff:\t0000000000000000") ||
		!strings.Contains(status, "NoNewPrivs:\t1") || !strings.Contains(status, "Seccomp:\t2") {
		t.Errorf("the supervisor does not run restricted:\n%s", status)
	}
	old := p.appProcs()
	p.liveUpdate("v2")
	p.checkGone(old)
	p.checkNotRestarted()
}

// readOnlyRoot is a container whose root filesystem is read-only.
func readOnlyRoot(t *testing.T) corev1.Container {
	c := appContainer(t)
	yes := true
	c.SecurityContext = &corev1.SecurityContext{ReadOnlyRootFilesystem: &yes}
	return c
}

// TestReadOnlyRootFilesystemWithEmptyDir: the trigger on an emptyDir, named
// by RESTART_TRIGGER in env:. Tilt's run step writes it, and so does
// `/.restart/supervisor restart`, which reads RESTART_TRIGGER too.
func TestReadOnlyRootFilesystemWithEmptyDir(t *testing.T) {
	t.Parallel()
	c := readOnlyRoot(t)
	c.Env = []corev1.EnvVar{{Name: "RESTART_TRIGGER", Value: "/run/restart/trigger"}}
	c.VolumeMounts = []corev1.VolumeMount{{Name: "restart", MountPath: "/run/restart"}}
	p := runPod(t, nil, corev1.PodSpec{
		Containers: []corev1.Container{c},
		Volumes:    []corev1.Volume{{Name: "restart", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
	})
	p.log.Wait("app v1 started")
	p.runStep("date > /run/restart/trigger")
	p.log.WaitN("app v1 started", 2)
	p.exec(nil, "/.restart/supervisor", "restart")
	p.log.WaitN("app v1 started", 3)
	if strings.Contains(p.log.String(), "read-only") {
		t.Errorf("the supervisor complained:\n%s", p.log)
	}
	p.checkNotRestarted()
}

// TestReadOnlyRootFilesystemWithoutTrigger: with the default trigger on a
// read-only root, the supervisor says at start what to do, and both of
// Tilt's run steps fail with an error that names the read-only file system
// (Tilt shows the step's output and exit code).
func TestReadOnlyRootFilesystemWithoutTrigger(t *testing.T) {
	t.Parallel()
	p := runPod(t, nil, corev1.PodSpec{Containers: []corev1.Container{readOnlyRoot(t)}})
	line := p.log.Wait("the trigger /.restart-proc is on a read-only file system")
	for _, fix := range []string{"RESTART_TRIGGER", "emptyDir"} {
		if !strings.Contains(line, fix) {
			t.Errorf("the supervisor's line does not name the fix %s: %s", fix, line)
		}
	}
	p.log.Wait("app v1 started")

	for _, argv := range [][]string{{"sh", "-c", "date > /.restart-proc"}, {"/.restart/supervisor", "restart"}} {
		_, err := p.Exec(nil, argv...)
		var failed *kube.ExecError
		if !errors.As(err, &failed) || failed.Code == 0 || !strings.Contains(strings.ToLower(failed.Stderr), "read-only file system") {
			t.Errorf("%v: want a non-zero exit and an error naming the read-only file system, have %v", argv, err)
		}
		if argv[0] == "/.restart/supervisor" && err != nil && !strings.Contains(err.Error(), "RESTART_TRIGGER") {
			t.Errorf("supervisor restart does not name the fix: %v", err)
		}
	}
	p.checkNotRestarted()
}

// TestShareProcessNamespace: with shareProcessNamespace the pause container
// is PID 1 and the supervisor is not; a restart stops the app's generation
// and never a process of the other container.
func TestShareProcessNamespace(t *testing.T) {
	t.Parallel()
	yes := true
	p := runPod(t, nil, corev1.PodSpec{
		ShareProcessNamespace: &yes,
		Containers: []corev1.Container{appContainer(t), {
			Name:    "sidecar",
			Image:   "busybox",
			Command: []string{"sh", "-c", "sleep 3600 & sleep 3600 & wait"},
		}},
	})
	line := p.log.Wait("app v1 started")
	if rigtest.PidIn(t, line) == "1" {
		t.Fatalf("the app is PID 1: %s", line)
	}
	procs := func() map[string]string {
		out := p.exec(nil, "sh", "-c", `for d in /proc/[0-9]*; do echo "${d#/proc/} $(tr '\0' ' ' < $d/cmdline)"; done`)
		m := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			pid, args, _ := strings.Cut(l, " ")
			m[pid] = strings.TrimSpace(args)
		}
		return m
	}
	before := procs()
	if strings.HasPrefix(before["1"], "/.restart/supervisor") || !rigtest.HasProc(before, "/.restart/supervisor") {
		t.Fatalf("want the supervisor running, not as PID 1: %v", before)
	}
	sidecar := map[string]string{}
	for pid, args := range before {
		if strings.HasPrefix(args, "sleep 3600") || strings.HasPrefix(args, "sh -c sleep 3600") {
			sidecar[pid] = args
		}
	}
	if len(sidecar) != 3 {
		t.Fatalf("want the sidecar's shell and its two sleeps, have %v", before)
	}

	p.liveUpdate("v2")
	p.log.Wait("app v1 pid " + rigtest.PidIn(t, line) + ": stopping")
	after := procs()
	for pid, args := range sidecar {
		if after[pid] != args {
			t.Errorf("the restart touched the sidecar's process %s (%s); processes now: %v", pid, args, after)
		}
	}
	p.checkNotRestarted()
}

// TestArgsReplaceCMD: args: replaces the image's CMD only, so the
// supervisor (the ENTRYPOINT) still runs the app, with those arguments, on
// every restart.
func TestArgsReplaceCMD(t *testing.T) {
	t.Parallel()
	c := appContainer(t)
	c.Args = []string{"from-args", "two"}
	p := runPod(t, nil, corev1.PodSpec{Containers: []corev1.Container{c}})
	if !strings.Contains(p.log.Wait("app v1 started"), "args from-args two") {
		t.Errorf("the app did not get the pod's args:\n%s", p.log)
	}
	if pid1 := p.exec(nil, "cat", "/proc/1/cmdline"); !strings.HasPrefix(pid1, "/.restart/supervisor\x00") {
		t.Errorf("PID 1 is %q, want the supervisor", pid1)
	}
	if line := p.liveUpdate("v2"); !strings.Contains(line, "args from-args two") {
		t.Errorf("the restarted app did not get the pod's args: %s", line)
	}
	p.checkNotRestarted()
}

// TestCommandBypassesTheSupervisor: command: replaces the image's
// ENTRYPOINT, which is the supervisor: the app runs as PID 1 with no
// supervisor in the container, as the README warns.
func TestCommandBypassesTheSupervisor(t *testing.T) {
	t.Parallel()
	c := appContainer(t)
	c.Command = []string{"/app/app.sh"}
	p := runPod(t, nil, corev1.PodSpec{Containers: []corev1.Container{c}})
	if line := p.log.Wait("app v1 started"); rigtest.PidIn(t, line) != "1" {
		t.Errorf("want the app as PID 1: %s", line)
	}
	out := p.exec(nil, "sh", "-c", `cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' '`)
	if strings.Contains(out, "/.restart/supervisor") {
		t.Errorf("a supervisor runs although command: replaced it: %s", out)
	}
	if strings.Contains(p.log.String(), "[restart]") {
		t.Errorf("the supervisor printed:\n%s", p.log)
	}
}

// TestPodDeletionEndsWithTheAppsCode: deleting the pod sends SIGTERM to the
// supervisor, which stops the app and exits with the app's own code (3) as
// soon as it has stopped. A SIGKILL at the end of the grace period would
// give 137 instead, and the wait for the pod to go (bounded by
// rigtest.HangGuard) ends well before the grace period of 600 s.
func TestPodDeletionEndsWithTheAppsCode(t *testing.T) {
	t.Parallel()
	grace := int64(600)
	c := appContainer(t)
	c.Env = []corev1.EnvVar{{Name: "APP_STOP_CODE", Value: "3"}}
	p := runPod(t, nil, corev1.PodSpec{TerminationGracePeriodSeconds: &grace, Containers: []corev1.Container{c}})
	pid := rigtest.PidIn(t, p.log.Wait("app v1 started"))

	state := p.deleteAndWatch()
	if state == nil {
		t.Fatal("the kubelet never reported the container terminated")
	}
	if state.ExitCode != 3 {
		t.Errorf("the container exited with %d (%s), want the app's own 3", state.ExitCode, state.Reason)
	}
	if !strings.Contains(p.log.String(), "app v1 pid "+pid+": stopping") {
		t.Errorf("the app was not asked to stop:\n%s", p.log)
	}
	if took := state.FinishedAt.Sub(state.StartedAt.Time); took.Seconds() >= float64(grace) {
		t.Errorf("the container ran %s, which used up the grace period of %d s", took, grace)
	}
}

// TestExitPolicyContinueFromEnv: RESTART_EXIT_POLICY=continue set in env:.
// A change that makes the app exit leaves the container running: no restart
// of it, never CrashLoopBackOff (Tilt refuses to live-update a crash-looping
// container), and the next live update, the fix, brings the app back.
func TestExitPolicyContinueFromEnv(t *testing.T) {
	t.Parallel()
	c := appContainer(t)
	c.Env = []corev1.EnvVar{{Name: "RESTART_EXIT_POLICY", Value: "continue"}}
	p := runPod(t, nil, corev1.PodSpec{Containers: []corev1.Container{c}})
	p.log.Wait("app v1 started")

	dir := t.TempDir()
	rigtest.WriteFile(t, dir, "crash", "")
	p.syncFiles(dir, "/app", "crash")
	p.runStep("date > /.restart-proc")
	p.log.WaitN("app v1 started", 2)
	p.log.Wait(": crashing")
	p.log.Wait("waiting for a trigger (exit policy continue)")
	checkNoCrashLoop(t, p)

	p.deleteFiles("/app/crash")
	p.liveUpdate("v3")
	checkNoCrashLoop(t, p)
}

// checkNoCrashLoop fails unless the app's container runs, never restarted.
func checkNoCrashLoop(t *testing.T, p *pod) {
	t.Helper()
	s := kube.ContainerStatus(p.get(), p.container)
	if s == nil || s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff" {
		t.Errorf("the container is crash-looping: %+v", s)
	}
	p.checkNotRestarted()
}

// TestRestartWaitThroughPodsExec: the run step docs/tilt.md recommends,
// run(['/.restart/supervisor', 'restart', '--wait']), through pods/exec.
// A good change returns 0 once the new app has stayed up; a change that
// makes the app exit on start fails the step with the app's code (7), as
// Tilt would show it, and with RESTART_EXIT_POLICY=continue the container
// stays, so the next live update, the fix, starts the app again.
func TestRestartWaitThroughPodsExec(t *testing.T) {
	t.Parallel()
	c := appContainer(t)
	c.Env = []corev1.EnvVar{{Name: "RESTART_EXIT_POLICY", Value: "continue"}}
	p := runPod(t, nil, corev1.PodSpec{Containers: []corev1.Container{c}})
	p.log.Wait("app v1 started")
	wait := []string{"/.restart/supervisor", "restart", "--wait"}

	dir := t.TempDir()
	rigtest.WriteFile(t, dir, "version", "v2\n")
	p.syncFiles(dir, "/app", "version")
	if out := p.exec(nil, wait...); !strings.Contains(out, "started and stayed up") {
		t.Errorf("restart --wait said %q, want the new pid that stayed up", out)
	}
	p.log.Wait("app v2 started")

	rigtest.WriteFile(t, dir, "crash", "")
	p.syncFiles(dir, "/app", "crash")
	_, err := p.Exec(nil, wait...)
	var failed *kube.ExecError
	if !errors.As(err, &failed) || failed.Code != 7 {
		t.Errorf("restart --wait after a crashing change: %v, want the app's exit code 7", err)
	}
	p.log.Wait("app v2 pid ")
	checkNoCrashLoop(t, p)

	p.deleteFiles("/app/crash")
	rigtest.WriteFile(t, dir, "version", "v3\n")
	p.syncFiles(dir, "/app", "version")
	p.exec(nil, wait...)
	p.log.Wait("app v3 started")
	checkNoCrashLoop(t, p)
}

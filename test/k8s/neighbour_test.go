package k8s

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/tilt-dev/restart-frontend/test/kube"
	"github.com/tilt-dev/restart-frontend/test/rigtest"
	"github.com/tilt-dev/restart-frontend/test/statussock"
)

// TestStatusSocketSidecar: a sidecar shares the app's network namespace,
// hence the supervisor's abstract status socket (issue 28). It floods the
// socket, then, in a second pod, holds its name before the app starts and
// answers as a supervisor would. Each time a live update still restarts
// the app through pods/exec, restart --wait tells the truth or fails
// clearly, and deleting the pod ends the app with its own code.
func TestStatusSocketSidecar(t *testing.T) {
	neighbour := neighbourImage(t)
	const stopCode = 3
	app := func(env ...corev1.EnvVar) corev1.Container {
		c := appContainer(t)
		c.Env = append([]corev1.EnvVar{{Name: "APP_STOP_CODE", Value: "3"}}, env...)
		return c
	}
	grace := int64(600) // the app stops at once; the wait is bounded by HangGuard
	wait := []string{"/.restart/supervisor", "restart", "--wait"}

	t.Run("flood", func(t *testing.T) {
		t.Parallel()
		p := runPod(t, nil, corev1.PodSpec{TerminationGracePeriodSeconds: &grace, Containers: []corev1.Container{
			app(), {Name: "neighbour", Image: neighbour, Args: []string{"flood", "auto", "300"}},
		}})
		p.log.Wait("app v1 started")
		waitContainerLog(t, p, "neighbour", "neighbour: holding 300 connections")
		dir := t.TempDir()
		rigtest.WriteFile(t, dir, "version", "v2\n")
		p.syncFiles(dir, "/app", "version")
		if out := p.exec(nil, wait...); !strings.Contains(out, "started and stayed up") {
			t.Errorf("restart --wait beside a flood said %q, want the new pid that stayed up", out)
		}
		p.log.Wait("app v2 started")
		if state := p.deleteAndWatch(); state == nil || state.ExitCode != stopCode {
			t.Errorf("deleting the pod: the app's container ended %+v, want exit code %d", state, stopCode)
		}
	})

	t.Run("squat", func(t *testing.T) {
		t.Parallel()
		// The name comes from the trigger's folder: a folder of the node
		// keeps it from one pod to the next, so the sidecar can take it
		// before the supervisor starts.
		folder := t.TempDir()
		if err := os.Chmod(folder, 0o777); err != nil { // the app's user creates the trigger
			t.Fatal(err)
		}
		volume := corev1.Volume{Name: "restart", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: folder}}}
		onVolume := func(c corev1.Container) corev1.Container {
			c.VolumeMounts = []corev1.VolumeMount{{Name: "restart", MountPath: "/restart"}}
			return c
		}
		trigger := corev1.EnvVar{Name: "RESTART_TRIGGER", Value: "/restart/trigger"}

		first := runPod(t, nil, corev1.PodSpec{Volumes: []corev1.Volume{volume}, Containers: []corev1.Container{onVolume(app(trigger))}})
		first.log.Wait("app v1 started")
		name := statusSocketName(t, first)
		first.deleteAndWatch()

		always := corev1.ContainerRestartPolicyAlways
		p := runPod(t, nil, corev1.PodSpec{
			TerminationGracePeriodSeconds: &grace,
			Volumes:                       []corev1.Volume{volume},
			// A native sidecar: the kubelet starts the app only once its
			// startup probe says the name is held.
			InitContainers: []corev1.Container{{
				Name: "neighbour", Image: neighbour, Args: []string{"squat", name}, RestartPolicy: &always,
				StartupProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/neighbour", "taken", name}}},
					PeriodSeconds: 1, FailureThreshold: 60,
				},
			}},
			Containers: []corev1.Container{onVolume(app(trigger))},
		})
		p.log.Wait("app v1 started")
		p.log.Wait("its address is taken")
		_, err := p.Exec(nil, wait...)
		var failed *kube.ExecError
		if !errors.As(err, &failed) || failed.Code != 1 || !strings.Contains(failed.Stderr, "is held by a process outside this container") {
			t.Errorf("restart --wait with the name taken: %v, want exit code 1 and the refusal", err)
		}
		if strings.Count(p.log.String(), "app v1 started") != 1 {
			t.Errorf("restart --wait restarted the app though it refused the socket:\n%s", p.log)
		}
		p.exec(nil, "/.restart/supervisor", "restart")
		p.log.WaitN("app v1 started", 2)
		if state := p.deleteAndWatch(); state == nil || state.ExitCode != stopCode {
			t.Errorf("deleting the pod: the app's container ended %+v, want exit code %d", state, stopCode)
		}
	})
}

// statusSocketName reads the abstract name of the supervisor's status
// socket from the pod's /proc/net/unix, as any container of the pod can.
func statusSocketName(t *testing.T, p *pod) string {
	t.Helper()
	name, ok := statussock.Name(p.exec(nil, "cat", "/proc/net/unix"))
	if !ok {
		t.Fatalf("no %s socket in the pod's /proc/net/unix", statussock.Prefix)
	}
	return name
}

// waitContainerLog waits until the log of another container of p's pod
// holds want.
func waitContainerLog(t *testing.T, p *pod, container, want string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(rigtest.HangGuard); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		b, err := cluster.Client.CoreV1().Pods(p.ns).GetLogs(p.name, &corev1.PodLogOptions{Container: container}).DoRaw(ctx)
		if err == nil && strings.Contains(string(b), want) {
			return
		}
		last = string(b)
	}
	t.Fatalf("the log of %s never said %q:\n%s", container, want, last)
}

// neighbourImages holds test/neighbour's image, built once.
var neighbourImages struct {
	once sync.Once
	ref  string
}

// neighbourImage builds test/neighbour for the node into a scratch image in
// the rig's registry.
func neighbourImage(t *testing.T) string {
	t.Helper()
	neighbourImages.once.Do(func() {
		dir := t.TempDir()
		rigtest.GoBuild(t, "../neighbour", filepath.Join(dir, "neighbour"), clusterArch(t))
		rigtest.WriteFile(t, dir, "Dockerfile", "FROM scratch\nCOPY neighbour /neighbour\nENTRYPOINT [\"/neighbour\"]\n")
		neighbourImages.ref = buildImage(t, dir, "neighbour", buildOptions{})
	})
	if neighbourImages.ref == "" {
		t.Fatal("test/neighbour did not build (see the test that built it first)")
	}
	return neighbourImages.ref
}

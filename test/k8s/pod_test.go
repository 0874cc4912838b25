package k8s

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"

	"github.com/tilt-dev/restart-frontend/test/kube"
	"github.com/tilt-dev/restart-frontend/test/rigtest"
	"github.com/tilt-dev/restart-frontend/test/scenario"
)

// namespace creates a namespace for the test, with labels, and deletes it
// when the test ends.
func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns, err := cluster.NewNamespace(ctx, "k8s-test-", labels)
	if ns != "" {
		t.Cleanup(func() {
			if err := cluster.DeleteNamespace(context.Background(), ns); err != nil {
				t.Errorf("delete namespace %s: %v", ns, err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// guard is the context of a wait: bounded by rigtest.HangGuard, which is
// not a latency check.
func guard(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(ctx, rigtest.HangGuard)
	t.Cleanup(cancel)
	return c
}

// pod is the container of a running pod that a live update targets, with
// its log followed from the start.
type pod struct {
	t                   *testing.T
	ns, name, container string
	first               *corev1.Pod // as it was when it became Ready
	log                 *rigtest.Output
}

// waitPod waits until a pod of ns matching selector is Ready, and follows
// the log of its container.
func waitPod(t *testing.T, ns, selector, container string) *pod {
	t.Helper()
	got, err := cluster.WaitPod(guard(t), ns, selector, func(p *corev1.Pod) (bool, error) {
		return kube.Ready(p) && p.DeletionTimestamp == nil, nil
	})
	if err != nil {
		t.Fatalf("no Ready pod %s in %s: %v%s", selector, ns, err, describePods(ns))
	}
	p := &pod{t: t, ns: ns, name: got.Name, container: container, first: got, log: rigtest.NewOutput(t)}
	logCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := cluster.FollowLogs(logCtx, ns, got.Name, container, &lineWriter{w: p.log}); err != nil && logCtx.Err() == nil {
			fmt.Fprintf(p.log, "(following the log: %v)\n", err)
		}
		p.log.Close()
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of %s/%s:\n%s%s", got.Name, container, p.log, describePods(ns))
		}
		stop()
		<-done
	})
	return p
}

// lineWriter passes on whole lines only: the API server's log stream may
// split a line between two writes, and a wait must see the line whole.
type lineWriter struct {
	w    io.Writer
	part []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.part = append(l.part, p...)
	if i := bytes.LastIndexByte(l.part, '\n'); i >= 0 {
		if _, err := l.w.Write(l.part[:i+1]); err != nil {
			return 0, err
		}
		l.part = append(l.part[:0], l.part[i+1:]...)
	}
	return len(p), nil
}

// describePods says what the pods of ns and their containers are doing, for
// a failure message.
func describePods(ns string) string {
	pods, err := cluster.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return "\n(listing pods: " + err.Error() + ")"
	}
	var b strings.Builder
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "\npod %s: %s", p.Name, p.Status.Phase)
		for _, c := range p.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				fmt.Fprintf(&b, "; %s %s %s", c.Type, c.Reason, c.Message)
			}
		}
		for _, c := range p.Status.ContainerStatuses {
			fmt.Fprintf(&b, "\n  container %s: restarts %d, state %+v", c.Name, c.RestartCount, c.State)
		}
	}
	events, err := cluster.Client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	if err == nil {
		for _, e := range events.Items {
			if e.Type != corev1.EventTypeNormal {
				fmt.Fprintf(&b, "\nevent %s %s: %s", e.InvolvedObject.Name, e.Reason, e.Message)
			}
		}
	}
	return b.String()
}

// Exec runs argv in the container through pods/exec, as Tilt does
// (scenario.Target).
func (p *pod) Exec(stdin []byte, argv ...string) (string, error) {
	c, cancel := context.WithTimeout(ctx, rigtest.HangGuard)
	defer cancel()
	return cluster.Exec(c, p.ns, p.name, p.container, stdin, argv...)
}

// Output is the container's log, followed from its start (scenario.Target).
func (p *pod) Output() *rigtest.Output { return p.log }

func (p *pod) exec(stdin []byte, argv ...string) string {
	p.t.Helper()
	out, err := p.Exec(stdin, argv...)
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// syncFiles is Tilt's sync step for the files rels under the local folder
// localDir, which a sync(localDir, containerDir) maps to containerDir.
func (p *pod) syncFiles(localDir, containerDir string, rels ...string) {
	p.t.Helper()
	scenario.SyncFiles(p.t, p, localDir, containerDir, rels...)
}

// deleteFiles is Tilt's sync step for files deleted locally.
func (p *pod) deleteFiles(paths ...string) {
	p.t.Helper()
	scenario.DeleteFiles(p.t, p, paths...)
}

// runStep is Tilt's run step given a string: sh -c.
func (p *pod) runStep(cmd string) {
	p.t.Helper()
	scenario.Run(p.t, p, "sh", "-c", cmd)
}

// get returns the pod as it is now.
func (p *pod) get() *corev1.Pod {
	p.t.Helper()
	got, err := cluster.Client.CoreV1().Pods(p.ns).Get(ctx, p.name, metav1.GetOptions{})
	if err != nil {
		p.t.Fatal(err)
	}
	return got
}

// checkNotRestarted fails unless the pod is the one first seen, with the
// same container running since the same time, and no restart.
func (p *pod) checkNotRestarted() {
	p.t.Helper()
	now := p.get()
	was, is := kube.ContainerStatus(p.first, p.container), kube.ContainerStatus(now, p.container)
	switch {
	case now.UID != p.first.UID:
		p.t.Errorf("pod %s is another pod now: uid %s, was %s", p.name, now.UID, p.first.UID)
	case is == nil || is.State.Running == nil:
		p.t.Errorf("container %s is not running: %+v", p.container, is)
	case is.RestartCount != 0:
		p.t.Errorf("container %s restarted %d times; last state %+v", p.container, is.RestartCount, is.LastTerminationState)
	case !is.State.Running.StartedAt.Equal(&was.State.Running.StartedAt) || is.ContainerID != was.ContainerID:
		p.t.Errorf("container %s was started again: %s at %s, was %s at %s", p.container,
			is.ContainerID, is.State.Running.StartedAt, was.ContainerID, was.State.Running.StartedAt)
	}
}

// waitReady waits until the pod is Ready again (its readiness probe passes).
func (p *pod) waitReady() {
	p.t.Helper()
	_, err := cluster.WaitPod(guard(p.t), p.ns, "", func(got *corev1.Pod) (bool, error) {
		return got.Name == p.name && kube.Ready(got), nil
	})
	if err != nil {
		p.t.Fatalf("pod %s is not Ready again: %v%s", p.name, err, describePods(p.ns))
	}
}

// procsContainer is the ephemeral container that lists the processes of the
// app's container: `kubectl debug --target`, which shares the target's PID
// namespace, so that images with no shell (scratch) can be inspected too.
const procsContainer = "procs"

// appProcs returns the processes of the app's generation, pid → command
// line: every process whose parents lead to the container's PID 1 (the
// supervisor), which is left out, as are processes entered from outside
// (exec sessions and the ephemeral container, whose parent is outside the
// namespace).
func (p *pod) appProcs() map[string]string {
	p.t.Helper()
	p.addProcsContainer()
	script := `for d in /proc/[0-9]*; do s=$(cat $d/stat 2>/dev/null) || continue; ` +
		`echo "$s|$(tr '\0' ' ' < $d/cmdline 2>/dev/null)"; done`
	out, err := cluster.Exec(guard(p.t), p.ns, p.name, procsContainer, nil, "sh", "-c", script)
	if err != nil {
		p.t.Fatal(err)
	}
	parent, args := map[string]string{}, map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		stat, cmdline, _ := strings.Cut(line, "|")
		pid, _, _ := strings.Cut(stat, " ")
		fields := strings.Fields(stat[strings.LastIndex(stat, ")")+1:]) // state, ppid, ...
		if len(fields) < 2 {
			continue
		}
		parent[pid], args[pid] = fields[1], strings.TrimSpace(cmdline)
	}
	procs := map[string]string{}
	for pid := range args {
		for q := parent[pid]; q != "" && q != "0"; q = parent[q] {
			if q == "1" {
				procs[pid] = args[pid]
				break
			}
		}
	}
	return procs
}

// addProcsContainer adds the ephemeral container once, and waits for it.
func (p *pod) addProcsContainer() {
	p.t.Helper()
	// As nobody and with what the restricted Pod Security Standard asks, so
	// that every namespace admits it: /proc's stat and cmdline are readable
	// by anyone.
	security := restricted()
	nobody := int64(65534)
	security.RunAsUser = &nobody
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		now := p.get()
		for _, c := range now.Spec.EphemeralContainers {
			if c.Name == procsContainer {
				return nil
			}
		}
		now.Spec.EphemeralContainers = append(now.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name:            procsContainer,
				Image:           "busybox",
				Command:         []string{"sleep", "3600"},
				SecurityContext: security,
			},
			TargetContainerName: p.container,
		})
		_, err := cluster.Client.CoreV1().Pods(p.ns).UpdateEphemeralContainers(ctx, p.name, now, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		p.t.Fatalf("add the ephemeral container %s: %v", procsContainer, err)
	}
	_, err = cluster.WaitPod(guard(p.t), p.ns, "", func(got *corev1.Pod) (bool, error) {
		for _, s := range got.Status.EphemeralContainerStatuses {
			if s.Name == procsContainer && s.State.Running != nil {
				return got.Name == p.name, nil
			}
		}
		return false, nil
	})
	if err != nil {
		p.t.Fatalf("the ephemeral container %s did not start: %v%s", procsContainer, err, describePods(p.ns))
	}
}

// checkGone fails if any process of old is still in the container.
func (p *pod) checkGone(old map[string]string) {
	p.t.Helper()
	now := p.appProcs()
	for pid, args := range old {
		if now[pid] == args {
			p.t.Errorf("process %s (%s) of the old generation is still running; processes now: %v", pid, args, now)
		}
	}
}

// deleteAndWatch deletes the pod with its grace period and watches it
// until it is gone, and returns the last state of its container that the
// kubelet reported: terminated, with the exit code and the times.
func (p *pod) deleteAndWatch() *corev1.ContainerStateTerminated {
	p.t.Helper()
	w, err := cluster.Client.CoreV1().Pods(p.ns).Watch(guard(p.t), metav1.ListOptions{
		FieldSelector: "metadata.name=" + p.name, ResourceVersion: p.get().ResourceVersion,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	defer w.Stop()
	if err := cluster.Client.CoreV1().Pods(p.ns).Delete(ctx, p.name, metav1.DeleteOptions{}); err != nil {
		p.t.Fatal(err)
	}
	var last *corev1.ContainerStateTerminated
	for ev := range w.ResultChan() {
		got, ok := ev.Object.(*corev1.Pod)
		if !ok {
			p.t.Fatalf("watching pod %s: %+v", p.name, ev.Object)
		}
		if s := kube.ContainerStatus(got, p.container); s != nil && s.State.Terminated != nil {
			last = s.State.Terminated
		}
		if ev.Type == watch.Deleted {
			return last
		}
	}
	p.t.Fatalf("pod %s was not gone within %s; its container's last state: %+v", p.name, rigtest.HangGuard, last)
	return nil
}

package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tilt-dev/restart-frontend/test/kube"
)

// KubernetesOptions configures [Kubernetes]. The builds are those of
// [Builds]: the same app, helper binaries, registry and tag.
type KubernetesOptions struct {
	BuildOptions
	Kubeconfig string
	Samples    int
}

// Kubernetes measures a live update on the rig's cluster the way Tilt does
// it (package kube: pods/exec through the API server): a tar of the changed
// app.sh streamed into an exec of `tar -C / -x -f -`, then an exec of `sh
// -c 'date > /.restart-proc'`, timed from the start of the sync to the new
// version's line in the pod's followed log. Beside it, what a user does
// without this project, on deployments of the same app in the same
// namespace:
//
//   - (a) kubectl delete pod (Tilt refuses restart_container() on
//     Kubernetes), of the app built by the upstream frontend, until the
//     replacement pod is Ready and prints its first line: the image does
//     not change, so this is the floor of a restart by replacement;
//   - (b) restart_process's two-image flow: edit app.sh, rebuild the base
//     and the child image, push, roll out (a new pod template, with
//     imagePullPolicy Always, as kubectl rollout restart does), until a pod
//     of the new template is Ready and prints the new version.
//
// The three take turns. Pods that are Ready are polled every 100 ms.
func Kubernetes(ctx context.Context, o KubernetesOptions) ([]Figure, error) {
	c, err := kube.Connect(o.Kubeconfig)
	if err != nil {
		return nil, err
	}
	flows, edit, err := newFlows(ctx, o.BuildOptions)
	if err != nil {
		return nil, err
	}
	ours, upstream, twoImage := flows[0], flows[1], flows[2]
	for _, f := range flows {
		if err := edit(f, "1"); err != nil {
			return nil, err
		}
		if _, err := f.build(ctx, false); err != nil {
			return nil, err
		}
	}
	script, err := os.ReadFile(filepath.Join(o.App, "app.sh"))
	if err != nil {
		return nil, err
	}
	ns, err := c.NewNamespace(ctx, "restart-bench-", nil)
	if err != nil {
		return nil, err
	}
	defer c.DeleteNamespace(context.Background(), ns)
	for name, image := range map[string]string{"ours": ours.images[0], "deleted": upstream.images[0], "two-image": twoImage.images[1]} {
		if err := deployBenchApp(ctx, c, ns, name, image); err != nil {
			return nil, err
		}
	}
	readyWith := func(name string, skip *corev1.Pod, line string) (*corev1.Pod, error) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		return c.WaitPod(ctx, ns, "app="+name, func(p *corev1.Pod) (bool, error) {
			if !kube.Ready(p) || p.DeletionTimestamp != nil || skip != nil && p.UID == skip.UID {
				return false, nil
			}
			logs, err := c.Logs(ctx, ns, p.Name, "app", false)
			return err == nil && strings.Contains(logs, line), nil
		})
	}
	pods := map[string]*corev1.Pod{}
	for _, name := range []string{"ours", "deleted", "two-image"} {
		if pods[name], err = readyWith(name, nil, "bench app: version 1"); err != nil {
			return nil, errors.Wrapf(err, "deployment %s is not Ready", name)
		}
	}

	var total, syncs, triggers, deleted, rollouts []float64
	for i := 0; i < o.Samples; i++ {
		for j := 0; j < 3; j++ {
			switch (i + j) % 3 {
			case 0: // ours
				version := fmt.Sprintf("%dk", i+2)
				archive, err := tarFile("app/app.sh", 0o755, setVersion(script, version))
				if err != nil {
					return nil, err
				}
				p := pods["ours"]
				f, err := followLine(ctx, c, ns, p.Name, "bench app: version "+version+",")
				if err != nil {
					return nil, err
				}
				start := time.Now()
				if _, err := c.Exec(ctx, ns, p.Name, "app", archive, "tar", "-C", "/", "-x", "-f", "-"); err != nil {
					return nil, err
				}
				synced := time.Now()
				if _, err := c.Exec(ctx, ns, p.Name, "app", nil, "sh", "-c", "date > /.restart-proc"); err != nil {
					return nil, err
				}
				triggered := time.Now()
				at, err := f.wait(time.Minute)
				if err != nil {
					return nil, errors.Wrap(err, "live update through pods/exec")
				}
				total = append(total, ms(at.Sub(start)))
				syncs = append(syncs, ms(synced.Sub(start)))
				triggers = append(triggers, ms(triggered.Sub(synced)))
			case 1: // (a)
				old := pods["deleted"]
				start := time.Now()
				if err := c.Client.CoreV1().Pods(ns).Delete(ctx, old.Name, metav1.DeleteOptions{}); err != nil {
					return nil, err
				}
				if pods["deleted"], err = readyWith("deleted", old, "bench app: version 1"); err != nil {
					return nil, errors.Wrap(err, "kubectl delete pod")
				}
				deleted = append(deleted, ms(time.Since(start)))
			case 2: // (b)
				old := pods["two-image"]
				version := fmt.Sprint(i + 2)
				start := time.Now()
				if err := edit(twoImage, version); err != nil {
					return nil, err
				}
				if _, err := twoImage.build(ctx, false); err != nil {
					return nil, err
				}
				if err := rollOut(ctx, c, ns, "two-image", version); err != nil {
					return nil, err
				}
				if pods["two-image"], err = readyWith("two-image", old, "bench app: version "+version+string(twoImage.letter)); err != nil {
					return nil, errors.Wrap(err, "two-image roll-out")
				}
				rollouts = append(rollouts, ms(time.Since(start)))
			}
		}
	}

	note := fmt.Sprintf("timed from the start of the tar sync to the new version's line in the pod's followed log, through the API server "+
		"(pods/exec, WebSocket executor); p50s: sync (exec of tar) %.0f ms, trigger (exec of sh) %.0f ms; the pod is the same, "+
		"restartCount 0; contenders alternate", median(syncs), median(triggers))
	a := Figure{Name: "Kubernetes live update round trip p50 (pods/exec tar sync + trigger)", Value: median(total), Unit: "ms",
		Samples: len(total), Note: note}.compare("(a) kubectl delete pod until the replacement is Ready", median(deleted))
	a = a.target("≤ 0.10× kubectl delete pod", a.ratio() <= 0.10)
	p90 := Figure{Name: "Kubernetes live update round trip p90", Value: percentile(total, 90), Unit: "ms", Samples: len(total)}.
		compare("(a) kubectl delete pod p90", percentile(deleted, 90))
	b := Figure{Name: "Kubernetes live update round trip p50 vs two-image flow", Value: median(total), Unit: "ms", Samples: len(total),
		Note: "(b): edit app.sh, buildctl base and child, push, new pod template (imagePullPolicy Always), until the new pod is Ready " +
			"and prints the new version"}.compare("(b) restart_process two-image rebuild + push + roll-out", median(rollouts))
	return []Figure{a, p90, b}, nil
}

// deployBenchApp creates a one-replica Deployment name of image, labelled
// app=name, with imagePullPolicy Always (a roll-out of the same tag pulls
// the new build) and no grace period to wait for (the app exits at once on
// SIGTERM anyway).
func deployBenchApp(ctx context.Context, c *kube.Cluster, ns, name, image string) error {
	one := int32(1)
	labels := map[string]string{"app": name}
	_, err := c.Client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: image, ImagePullPolicy: corev1.PullAlways,
				}}},
			},
		},
	}, metav1.CreateOptions{})
	return errors.Wrapf(err, "deployment %s", name)
}

// rollOut changes the Deployment's pod template, as kubectl rollout
// restart does, so that a new pod pulls the image again.
func rollOut(ctx context.Context, c *kube.Cluster, ns, name, version string) error {
	d, err := c.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if d.Spec.Template.Annotations == nil {
		d.Spec.Template.Annotations = map[string]string{}
	}
	d.Spec.Template.Annotations["bench.restart-frontend.tilt.dev/version"] = version
	_, err = c.Client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
	return err
}

// lineFollower reports when a line of a pod's log first holds want.
type lineFollower struct {
	at     chan time.Time
	cancel context.CancelFunc
}

// followLine follows the log of the pod's app container; it returns once
// the stream is open, so that what the caller times next is not the
// request's.
func followLine(ctx context.Context, c *kube.Cluster, ns, pod, want string) (*lineFollower, error) {
	ctx, cancel := context.WithCancel(ctx)
	r, err := c.Client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: "app", Follow: true}).Stream(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	f := &lineFollower{at: make(chan time.Time, 1), cancel: cancel}
	go func() {
		defer r.Close()
		s := bufio.NewScanner(r)
		for s.Scan() {
			if strings.Contains(s.Text(), want) {
				f.at <- time.Now()
				return
			}
		}
	}()
	return f, nil
}

func (f *lineFollower) wait(timeout time.Duration) (time.Time, error) {
	defer f.cancel()
	select {
	case at := <-f.at:
		return at, nil
	case <-time.After(timeout):
		return time.Time{}, errors.New("the new version's line never came")
	}
}

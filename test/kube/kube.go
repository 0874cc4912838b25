// Package kube drives a Kubernetes cluster the way Tilt does for a live
// update, for the tests of test/k8s and for `make bench`: client-go only, and
// only through the API server (exec and logs are subresources of the pod), so
// nothing reaches a pod by its address.
//
//   - [Cluster.Exec] is Tilt's ExecUpdater (tilt-dev/tilt internal/k8s
//     exec.go): pods/exec with the WebSocket executor and the SPDY one as the
//     fallback, no user field, so each command runs as the container's user;
//   - [Cluster.Apply] is `k8s_yaml`: the manifest's objects created with the
//     images Tilt would inject in place of the names the Tiltfile builds.
package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

// Cluster is a connection to the API server.
type Cluster struct {
	Config *rest.Config
	Client kubernetes.Interface
}

// Connect connects to the cluster of the kubeconfig file at path.
func Connect(path string) (*Cluster, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Cluster{Config: cfg, Client: client}, nil
}

// NewNamespace creates a namespace named prefix plus a random suffix, with
// labels, and waits for its default service account, without which the API
// server refuses pods.
func (c *Cluster) NewNamespace(ctx context.Context, prefix string, labels map[string]string) (string, error) {
	ns, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix, Labels: labels},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("create namespace %s*: %w", prefix, err)
	}
	err = wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return ns.Name, fmt.Errorf("namespace %s: no default service account: %w", ns.Name, err)
	}
	return ns.Name, nil
}

// DeleteNamespace deletes the namespace and what is in it, without waiting.
func (c *Cluster) DeleteNamespace(ctx context.Context, name string) error {
	return c.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
}

// WaitPod waits until a pod of namespace ns matching selector (a label
// selector) satisfies done, and returns it. done sees every pod that matches;
// an error from done ends the wait.
func (c *Cluster) WaitPod(ctx context.Context, ns, selector string, done func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
	var found *corev1.Pod
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		for i := range pods.Items {
			ok, err := done(&pods.Items[i])
			if err != nil || ok {
				found = &pods.Items[i]
				return ok, err
			}
		}
		return false, nil
	})
	return found, err
}

// Ready reports whether the pod is Ready (every readiness probe passes).
func Ready(p *corev1.Pod) bool {
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// ContainerStatus returns the status of the pod's container name, or nil.
func ContainerStatus(p *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// ExecError is a command run by Exec that exited with a non-zero status.
type ExecError struct {
	Argv   []string
	Code   int
	Stderr string
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("%s exited with %d: %s", strings.Join(e.Argv, " "), e.Code, strings.TrimSpace(e.Stderr))
}

// Exec runs argv in the container of pod (namespace ns) as Tilt's
// ExecUpdater does, stdin (when not nil) on its standard input, and returns
// its stdout. A command that exits non-zero is an *ExecError.
func (c *Cluster) Exec(ctx context.Context, ns, pod, container string, stdin []byte, argv ...string) (string, error) {
	req := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		Param("container", container)
	req.VersionedParams(&corev1.PodExecOptions{
		Container: container,
		Command:   argv,
		Stdin:     stdin != nil,
		Stdout:    true,
		Stderr:    true,
	}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(c.Config, "POST", req.URL())
	if err != nil {
		return "", err
	}
	websocket, err := remotecommand.NewWebSocketExecutor(c.Config, "GET", req.URL().String())
	if err != nil {
		return "", err
	}
	executor, err := remotecommand.NewFallbackExecutor(websocket, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	opts := remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}
	if stdin != nil {
		opts.Stdin = bytes.NewReader(stdin)
	}
	err = executor.StreamWithContext(ctx, opts)
	var exit utilexec.ExitError
	if errors.As(err, &exit) {
		return stdout.String(), &ExecError{Argv: argv, Code: exit.ExitStatus(), Stderr: stderr.String()}
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("exec %s in %s/%s: %w", strings.Join(argv, " "), pod, container, err)
	}
	return stdout.String(), nil
}

// FollowLogs copies the log of the container of pod to w as it is written,
// from its start, until ctx ends or the container stops.
func (c *Cluster) FollowLogs(ctx context.Context, ns, pod, container string, w io.Writer) error {
	r, err := c.Client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Follow: true}).Stream(ctx)
	if err != nil {
		return fmt.Errorf("logs of %s/%s: %w", pod, container, err)
	}
	defer r.Close()
	_, err = io.Copy(w, r)
	return err
}

// Logs returns the log of the container of pod so far; previous asks for
// the one of its last run, before a restart.
func (c *Cluster) Logs(ctx context.Context, ns, pod, container string, previous bool) (string, error) {
	b, err := c.Client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Previous: previous}).DoRaw(ctx)
	return string(b), err
}

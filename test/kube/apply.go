package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

// Apply creates in namespace ns the objects of a multi-document YAML
// manifest, as Tilt's k8s_yaml deploys them: every container image named
// like a key of images (the name a Tiltfile's docker_build builds) becomes
// its value (the reference of the image built and pushed). It knows the kinds
// the examples use (Deployment, Service, Pod) and refuses others, and it
// fails if an image of images is used by no container: a manifest that
// names another image would otherwise run something the test did not build.
// edit, when not nil, may change each pod template before it is created.
func (c *Cluster) Apply(ctx context.Context, ns string, manifest []byte, images map[string]string, edit func(*corev1.PodSpec)) error {
	used := map[string]bool{}
	rewrite := func(spec *corev1.PodSpec) {
		for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
			for i := range list {
				if ref, ok := images[list[i].Image]; ok {
					used[list[i].Image] = true
					list[i].Image = ref
				}
			}
		}
		if edit != nil {
			edit(spec)
		}
	}
	objs, err := decode(manifest)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		switch o := obj.(type) {
		case *appsv1.Deployment:
			rewrite(&o.Spec.Template.Spec)
		case *corev1.Pod:
			rewrite(&o.Spec)
		}
	}
	for name := range images {
		if !used[name] {
			return fmt.Errorf("no container of the manifest runs the image %s", name)
		}
	}
	for _, obj := range objs {
		switch o := obj.(type) {
		case *appsv1.Deployment:
			_, err = c.Client.AppsV1().Deployments(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = c.Client.CoreV1().Services(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Pod:
			_, err = c.Client.CoreV1().Pods(ns).Create(ctx, o, metav1.CreateOptions{})
		}
		if err != nil {
			return fmt.Errorf("create %T: %w", obj, err)
		}
	}
	return nil
}

// decode splits the manifest into its typed objects.
func decode(manifest []byte) ([]runtime.Object, error) {
	var objs []runtime.Object
	docs := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	for {
		var raw runtime.RawExtension
		err := docs.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		if len(bytes.TrimSpace(raw.Raw)) == 0 {
			continue
		}
		obj, gvk, err := scheme.Codecs.UniversalDeserializer().Decode(raw.Raw, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		switch obj.(type) {
		case *appsv1.Deployment, *corev1.Service, *corev1.Pod:
			objs = append(objs, obj)
		default:
			return nil, fmt.Errorf("manifest: kind %s is not one Apply knows (Deployment, Service, Pod)", gvk.Kind)
		}
	}
}

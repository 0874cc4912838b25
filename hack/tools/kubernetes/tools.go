//go:build tools

// Package tools pins the Kubernetes commands that hack/rig.d/kubernetes.sh
// builds, in one go build so that their shared packages compile once:
//
//	go build -o DIR/ k8s.io/kubernetes/cmd/kube-apiserver ...
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)

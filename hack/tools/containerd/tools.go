//go:build tools

// Package tools pins containerd v2 and runc, which hack/rig.d/containerd.sh
// builds once for every rig component that runs containers on containerd v2
// (Docker Engine 29 and the kubelet, each with a containerd of its own).
package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
	_ "github.com/opencontainers/runc"
)

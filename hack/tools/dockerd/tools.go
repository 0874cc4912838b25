//go:build tools

// Package tools pins Docker Engine 29 (the moby/moby/v2 module: dockerd and
// docker-proxy) and the docker CLI of the same release, which
// hack/rig.d/dockerd29.sh builds for the rig's second Docker daemon.
package tools

import (
	_ "github.com/docker/cli/cmd/docker"
	_ "github.com/moby/moby/v2/cmd/docker-proxy"
	_ "github.com/moby/moby/v2/cmd/dockerd"
)

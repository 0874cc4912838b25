//go:build tools

// Package tools pins docker-buildx, which hack/rig builds from cmd/buildx.
package tools

import (
	_ "github.com/docker/buildx/cmd/buildx"
)

//go:build tools

// Package tools pins the BuildKit commands that hack/rig builds:
//
//	go build -o DIR/ github.com/moby/buildkit/cmd/buildkitd
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
	_ "github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend"
)

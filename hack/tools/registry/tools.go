//go:build tools

// Package tools pins the go-containerregistry commands that hack/rig builds
// (crane); the registry itself is ./cmd/rig-registry, built on the same
// pinned go-containerregistry.
package tools

import (
	_ "github.com/google/go-containerregistry/cmd/crane"
)

//go:build tools

// Package tools pins the distribution registry that hack/buildkit-suite
// builds:
//
//	go build -o DIR/ github.com/distribution/distribution/v3/cmd/registry
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)

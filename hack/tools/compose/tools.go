//go:build tools

// Package tools pins docker-compose, which hack/rig builds from cmd as a CLI
// plugin (`docker compose`) unless RIG_COMPOSE=0.
package tools

import (
	_ "github.com/docker/compose/v2/cmd"
)

// Package version holds the release version of the frontend and the
// supervisor, set at link time:
//
//	go build -ldflags "-X github.com/tilt-dev/restart-frontend/pkg/version.Version=v0.1.0"
package version

// Version is the release this binary was built from; "dev" for a build that
// did not set it.
var Version = "dev"

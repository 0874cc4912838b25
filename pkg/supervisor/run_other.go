//go:build !linux

package supervisor

import "github.com/tilt-dev/restart-frontend/pkg/options"
import "runtime"

// run is only implemented on Linux, where the supervisor runs in images.
func run(cfg options.Config, argv, env []string, log *logger) int {
	log.error("the supervisor runs on linux only, not on " + runtime.GOOS)
	return 1
}

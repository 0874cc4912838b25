//go:build !linux

package supervisor

import (
	"errors"
	"io"
	"runtime"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// run is only implemented on Linux, where the supervisor runs in images.
func run(cfg options.Config, argv, env []string, log *logger) int {
	log.error("the supervisor runs on linux only, not on " + runtime.GOOS)
	return 1
}

func shimMain(args []string, log *logger) int { return run(options.Config{}, nil, nil, log) }

func waitRestart(trigger, from string, ra restartArgs, stdout io.Writer, log *logger) int {
	return run(options.Config{}, nil, nil, log)
}

func peerProcesses() []string { return nil }

func touchTrigger(p string, now time.Time) error {
	return errors.New("restart runs on linux only, not on " + runtime.GOOS)
}

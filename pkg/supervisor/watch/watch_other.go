//go:build !linux

package watch

import (
	"errors"
	"time"
)

// The supervisor runs on Linux only; this stub lets the package build (and
// its portable parts be vetted and tested) elsewhere.

type stubBackend struct{}

func (stubBackend) close()        {}
func (stubBackend) pending() bool { return false }

func startInotify(trigger string, roots []string, raw chan<- batch) (backend, error) {
	return nil, errors.New("inotify is only available on Linux")
}

func startPoller(trigger string, roots []string, interval time.Duration, raw chan<- batch) backend {
	return stubBackend{}
}

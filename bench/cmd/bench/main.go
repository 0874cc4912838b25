// Command bench runs one step of `make bench` (hack/bench): a figure
// measured beside the alternative, written as JSON, or the final report.
// See package github.com/tilt-dev/restart-frontend/bench.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tilt-dev/restart-frontend/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

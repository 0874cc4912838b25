// Command restart-frontend is the host command of the restart frontend:
//
//	restart-frontend wrap [flags] SRC DST
//
// makes an image that BuildKit's Dockerfile frontend did not build (ko,
// Podman, Bazel, Jib, any registry image) run under the restart supervisor,
// as the frontend does for a Dockerfile. Install it with
//
//	go install github.com/tilt-dev/restart-frontend/cmd/restart-frontend@VERSION
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/tilt-dev/restart-frontend/pkg/wrapcmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: restart-frontend wrap [flags] SRC DST   (restart-frontend wrap -h for help)")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "wrap":
		err := wrapcmd.Run(ctx, os.Args[2:], os.Environ(), os.Stdout, os.Stderr)
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "restart-frontend wrap:", err)
			os.Exit(1)
		}
	case "version", "--version", "-version":
		fmt.Println("restart-frontend", wrapcmd.Version())
	default:
		fmt.Fprintf(os.Stderr, "restart-frontend: unknown command %q; the command is wrap: restart-frontend wrap [flags] SRC DST\n", os.Args[1])
		os.Exit(2)
	}
}

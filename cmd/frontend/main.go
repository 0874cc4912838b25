// Command frontend is the restart frontend's gateway binary: BuildKit runs it
// from the frontend image for every build whose Dockerfile starts with
// `# syntax=tiltdev/restart-frontend`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto" // the gateway's wire codec

	"github.com/tilt-dev/restart-frontend/pkg/frontend"
	"github.com/tilt-dev/restart-frontend/pkg/version"
)

func main() {
	printVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *printVersion {
		fmt.Println("restart-frontend", version.Version)
		return
	}
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "restart-frontend: %+v\n", err)
		os.Exit(1)
	}
}

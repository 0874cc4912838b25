// Command supervisor runs an app in a container and restarts it in
// milliseconds when Tilt's live_update touches the trigger file. It is the
// entrypoint of the images the restart frontend produces:
//
//	/.restart/supervisor [options] -- <original ENTRYPOINT and CMD>
//
// See package github.com/tilt-dev/restart-frontend/pkg/supervisor.
package main

import (
	"os"

	"github.com/tilt-dev/restart-frontend/pkg/supervisor"
	"github.com/tilt-dev/restart-frontend/pkg/version"
)

func main() {
	os.Exit(supervisor.Main(os.Args[1:], supervisor.BuildInfo{Version: version.Version}))
}

// Command tools is a multi-call binary with the commands Tilt's live_update
// runs inside a container: called as `tar` it extracts an archive
// (`tar -C DIR -x -f -`), called as `rm` it removes paths (`rm -rf PATH...`).
// The frontend adds it, with `tar` and `rm` links on the image's PATH, to
// images that lack them when RESTART_TOOLS=on (scratch, distroless).
//
// It is a binary of its own rather than part of the supervisor so that
// images that do not ask for it do not carry archive/tar.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/tools"
)

func main() {
	name, args := filepath.Base(os.Args[0]), os.Args[1:]
	if !slices.Contains(contract.ToolNames, name) && len(args) > 0 {
		name, args = args[0], args[1:] // `tools tar -x ...`
	}
	switch name {
	case "tar":
		os.Exit(tools.Tar(args, os.Stdin, os.Stderr))
	case "rm":
		os.Exit(tools.Rm(args, os.Stderr))
	}
	fmt.Fprintln(os.Stderr, "usage: tar -C DIR -x -f FILE | rm [-rf] PATH... (call it through a tar or rm link, or as `tools tar ...`)")
	os.Exit(2)
}

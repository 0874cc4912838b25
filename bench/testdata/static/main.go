// Command static is the benchmarks' app for images with no shell and no tar
// (FROM scratch, distroless): it prints one line with the version read from
// /app/version, the file a live update syncs, then waits; on SIGTERM or
// SIGINT it exits 0 at once. hack/bench compiles it with CGO_ENABLED=0.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	version, err := os.ReadFile("/app/version")
	if err != nil {
		fmt.Println("bench app: no version:", err)
		os.Exit(1)
	}
	fmt.Printf("bench app: version %s, pid %d\n", strings.TrimSpace(string(version)), os.Getpid())
	<-stop
	os.Exit(0)
}

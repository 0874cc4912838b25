// Command counter is the FROM scratch example of restart-frontend: a static
// binary alone in its image, with no shell, no tar and no libc. It counts,
// and stops when asked.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is what a live update changes.
const version = "v1"

func main() {
	pid := os.Getpid()
	fmt.Printf("counter %s: pid %d, uid %d, args %q\n", version, pid, os.Getuid(), os.Args[1:])

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case sig := <-stop:
			fmt.Printf("counter %s: pid %d stopping on %v\n", version, pid, sig)
			return
		case <-tick.C:
			fmt.Printf("counter %s: %d\n", version, n)
		}
	}
}

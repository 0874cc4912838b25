// Command benchapp is the app the benchmarks restart on the host and ship in
// the image-size fixture: it prints one line, "ready pid=N", and waits; on
// SIGTERM or SIGINT it exits 0 at once, as a well-behaved server does.
package main

import (
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	os.Stdout.WriteString("ready pid=" + strconv.Itoa(os.Getpid()) + "\n")
	<-stop
	os.Exit(0)
}

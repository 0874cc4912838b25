// Command message prints the contents of /data/message, then waits to be
// stopped: a static app for images with no shell and no tar.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	msg, err := os.ReadFile("/data/message")
	if err != nil {
		fmt.Println("message: none:", err)
	} else {
		fmt.Printf("message: %s (pid %d)\n", msg, os.Getpid())
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}

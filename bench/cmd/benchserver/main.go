// Command benchserver is the server the socket benchmark restarts: it
// serves the socket-activation fd 3 when LISTEN_PID is its pid, else binds
// the port itself; it prints "ready pid=N" once it accepts, answers each
// connection with one line, and on SIGTERM stops accepting, answers the
// connections it accepted and exits 0, as a graceful server does.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

func main() {
	port := flag.Int("port", 0, "loopback port to bind without LISTEN_FDS")
	flag.Parse()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	l, err := listen(*port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString("ready pid=" + strconv.Itoa(os.Getpid()) + "\n")
	go func() {
		<-stop
		l.Close()
	}()
	var wg sync.WaitGroup
	for {
		c, err := l.Accept()
		if err != nil {
			wg.Wait()
			os.Exit(0)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Write([]byte("ok\n"))
			c.Close()
		}()
	}
}

func listen(port int) (net.Listener, error) {
	if os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) && os.Getenv("LISTEN_FDS") == "1" {
		return net.FileListener(os.NewFile(3, "listen"))
	}
	return net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
}

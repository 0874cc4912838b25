// Command neighbour plays another container of the app's pod on the
// supervisor's status socket (test/e2e): sharing the app's network
// namespace, it reaches the abstract socket, but not the app's files.
//
//	neighbour flood NAME N   hold N silent connections to the socket NAME
//	neighbour squat NAME     bind NAME before the supervisor does, and answer
//	                         every connection as a supervisor would, with
//	                         its own proof and a made-up successful restart
//
// NAME is the abstract name as /proc/net/unix shows it, @ first.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: neighbour flood NAME N | neighbour squat NAME")
		os.Exit(2)
	}
	addr := &unix.SockaddrUnix{Name: os.Args[2]}
	var err error
	switch os.Args[1] {
	case "flood":
		n, _ := strconv.Atoi(os.Args[3])
		err = flood(addr, n)
	case "squat":
		err = squat(addr)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	fmt.Println("neighbour:", err)
	os.Exit(1)
}

// flood opens n connections and holds them, saying so, until killed.
func flood(addr *unix.SockaddrUnix, n int) error {
	for i := range n {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		if err != nil {
			return err
		}
		if err := unix.Connect(fd, addr); err != nil {
			return fmt.Errorf("connection %d: %w", i+1, err)
		}
	}
	fmt.Printf("neighbour: holding %d connections\n", n)
	select {}
}

// squat binds the name and answers until killed.
func squat(addr *unix.SockaddrUnix) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, addr); err != nil {
		return err
	}
	if err := unix.Listen(fd, 16); err != nil {
		return err
	}
	ns, err := unix.Open("/proc/self/ns/mnt", unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	fmt.Println("neighbour: bound", addr.Name)
	for {
		c, _, err := unix.Accept(fd)
		if err != nil {
			continue
		}
		future := strconv.FormatInt(time.Now().Add(time.Hour).UnixNano(), 10)
		_ = unix.Sendmsg(c, []byte("restart-frontend status 1\n"), unix.UnixRights(ns), nil, 0)
		_, _ = unix.Write(c, []byte("gen=9 req="+future+" state=started pid=1 code=0 oldpid=0 stopped=0 msg=\n"))
		fmt.Println("neighbour: answered a waiter")
	}
}

// Command neighbour plays another container of the app's pod on the
// supervisor's status socket, for test/e2e (Docker) and test/k8s (a sidecar):
// sharing the app's network namespace, it reaches the abstract socket, but
// not the app's files.
//
//	neighbour flood NAME N   hold N silent connections to the socket NAME
//	neighbour squat NAME     bind NAME before the supervisor does, and answer
//	                         every connection as a supervisor would, with
//	                         its own proof and a made-up successful restart
//	neighbour taken NAME     exit 0 if something holds NAME, 1 if not (a
//	                         startup probe for squat)
//
// NAME is the abstract name as /proc/net/unix shows it, @ first; "auto"
// waits for the supervisor's to show there, as a sidecar started with the
// app would.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/test/statussock"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: neighbour flood NAME N | neighbour squat NAME")
		os.Exit(2)
	}
	name, err := socketName(os.Args[2])
	if err != nil {
		fmt.Println("neighbour:", err)
		os.Exit(1)
	}
	addr := &unix.SockaddrUnix{Name: name}
	switch os.Args[1] {
	case "flood":
		n, _ := strconv.Atoi(os.Args[3])
		err = flood(addr, n)
	case "squat":
		err = squat(addr)
	case "taken":
		os.Exit(taken(addr))
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	fmt.Println("neighbour:", err)
	os.Exit(1)
}

// socketName returns name, or for "auto" the first supervisor's status
// socket that /proc/net/unix lists within a minute.
func socketName(name string) (string, error) {
	if name != "auto" {
		return name, nil
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		table, err := os.ReadFile("/proc/net/unix")
		if err != nil {
			return "", err
		}
		if name, ok := statussock.Name(string(table)); ok {
			return name, nil
		}
	}
	return "", fmt.Errorf("no @restart-frontend/ socket in /proc/net/unix within a minute")
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

// taken is 0 when addr is bound by someone, 1 when this process could bind it.
func taken(addr *unix.SockaddrUnix) int {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return 1
	}
	defer unix.Close(fd)
	if unix.Bind(fd, addr) == unix.EADDRINUSE {
		return 0
	}
	return 1
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

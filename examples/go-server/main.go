// Command go-server is the Go example of restart-frontend: an HTTP server
// that stops gracefully on SIGTERM, which is what the supervisor sends it on
// every restart (and what `docker stop` sends).
//
// With RESTART_LISTEN=tcp:8080 (see the Dockerfile) the supervisor holds the
// listening socket across restarts and hands it over as fd 3, by the systemd
// socket-activation protocol: connections made while the app restarts wait
// in the socket's backlog instead of being refused. Without it, the server
// binds --addr itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// version is what a live update changes.
const version = "v1"

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	greeting := flag.String("greeting", "hello", "what GET / answers")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix(fmt.Sprintf("go-server %s pid %d: ", version, os.Getpid()))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	ln, err := listen(*addr)
	if err != nil {
		// With the supervisor, the old generation is gone before the new
		// one starts: the port is always free on a restart.
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s from go-server %s (pid %d)\n", *greeting, version, os.Getpid())
	})}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	log.Printf("serving %q on %s", *greeting, ln.Addr())

	<-ctx.Done()
	log.Print("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Fatal(err)
	}
	log.Print("shut down cleanly")
}

// listen takes the socket the supervisor passes (LISTEN_FDS, for this very
// process: LISTEN_PID), or binds addr when there is none.
func listen(addr string) (net.Listener, error) {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) || os.Getenv("LISTEN_FDS") == "" {
		return net.Listen("tcp", addr)
	}
	const firstFd = 3 // fds 0-2 are stdin, stdout, stderr
	f := os.NewFile(firstFd, os.Getenv("LISTEN_FDNAMES"))
	defer f.Close() // FileListener dups it
	return net.FileListener(f)
}

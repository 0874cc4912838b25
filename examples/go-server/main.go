// Command go-server is the Go example of restart-frontend: an HTTP server
// that stops gracefully on SIGTERM, which is what the supervisor sends it on
// every restart (and what `docker stop` sends).
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

	ln, err := net.Listen("tcp", *addr)
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

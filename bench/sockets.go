package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/errors"
)

// SocketsOptions configures [Sockets].
type SocketsOptions struct {
	Supervisor string // the supervisor binary
	Entr       string // the entr binary (Debian's)
	Server     string // the server all three restart: cmd/benchserver
	Dir        string // scratch directory
	Restarts   int    // restarts of each contender
	// Gap is the pause after each restart: entr watches the file again only
	// a moment after it started the new server. Every contender gets it.
	Gap time.Duration
}

// Sockets counts the requests refused while a server restarts Restarts
// times under a client that makes requests one after another, on the host:
// our supervisor with --listen (it holds the socket), without it (the
// server binds its port each time), and entr -rz (the same). Ours is
// restarted by `supervisor restart --wait --settle=0`, entr by a trigger
// write; each restart waits for the new server's "ready" line, then Gap. It also
// times `restart --wait` from its exec to its return, beside the time from
// the same exec to the new server's first output.
func Sockets(ctx context.Context, o SocketsOptions) ([]Figure, error) {
	dir := filepath.Join(o.Dir, "sockets")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	listen, err := socketRun(ctx, o, dir, "listen")
	if err != nil {
		return nil, errors.Wrap(err, "with --listen")
	}
	bind, err := socketRun(ctx, o, dir, "bind")
	if err != nil {
		return nil, errors.Wrap(err, "without --listen")
	}
	entr, err := socketRun(ctx, o, dir, "entr")
	if err != nil {
		return nil, errors.Wrap(err, "entr")
	}
	n := strconv.Itoa(o.Restarts)
	note := func(r socketResult) string {
		return fmt.Sprintf("%d answered, %d refused, %d lost (reset or no answer)", r.answered, r.refused, r.lost)
	}
	withListen := Figure{Name: "requests refused during " + n + " restarts, RESTART_LISTEN", Value: float64(listen.refused),
		Unit: "requests", Samples: o.Restarts, Note: note(listen) + "; entr: " + note(entr)}.compare("entr -rz", float64(entr.refused))
	withListen = withListen.target("0 refused and 0 lost", listen.refused == 0 && listen.lost == 0)
	without := Figure{Name: "requests refused during " + n + " restarts, without RESTART_LISTEN", Value: float64(bind.refused),
		Unit: "requests", Samples: o.Restarts, Note: note(bind)}.compare("entr -rz", float64(entr.refused))
	wait := Figure{Name: "restart --wait returns p50 (exec → return, --settle=0)", Value: percentile(bind.waits, 50), Unit: "ms",
		Samples: len(bind.waits), Note: "without --listen; beside the time from the same exec to the new server's first output"}.
		compare("exec → new output", percentile(bind.latencies, 50))
	return []Figure{withListen, without, wait}, nil
}

type socketResult struct {
	answered, refused, lost int
	waits, latencies        []float64 // ms, ours only
}

// socketRun runs one contender: "listen", "bind" or "entr".
func socketRun(ctx context.Context, o SocketsOptions, dir, kind string) (socketResult, error) {
	var r socketResult
	port, err := freePort()
	if err != nil {
		return r, err
	}
	trigger := filepath.Join(dir, kind+".trigger")
	if err := writeContent(trigger); err != nil {
		return r, err
	}
	server := []string{o.Server, "-port", strconv.Itoa(port)}
	var t *tool
	switch kind {
	case "entr":
		t, err = startTool(ctx, "entr", filepath.Join(dir, "entr.log"), trigger+"\n", 1, append([]string{o.Entr, "-nrz"}, server...)...)
	case "listen":
		t, err = startTool(ctx, "supervisor --listen", filepath.Join(dir, kind+".log"), "", 1,
			append([]string{o.Supervisor, "--trigger=" + trigger, "--listen=tcp:127.0.0.1:" + strconv.Itoa(port), "--"}, server...)...)
	default:
		t, err = startTool(ctx, "supervisor", filepath.Join(dir, kind+".log"), "", 1,
			append([]string{o.Supervisor, "--trigger=" + trigger, "--"}, server...)...)
	}
	if err != nil {
		return r, err
	}
	defer t.stop()
	loop := startRequests(port)
	for i := 0; i < o.Restarts; i++ {
		if err := sleep(ctx, o.Gap); err != nil {
			loop.stop()
			return r, err
		}
		if kind == "entr" {
			if _, err := t.restart(ctx, func() (time.Time, error) { return writeTimed(trigger) }); err != nil {
				loop.stop()
				return r, err
			}
			continue
		}
		begin := time.Now()
		if out, err := exec.CommandContext(ctx, o.Supervisor, "restart", "--wait", "--settle=0", "--trigger="+trigger).CombinedOutput(); err != nil {
			loop.stop()
			return r, errors.Wrapf(err, "restart --wait: %s", out)
		}
		returned := time.Since(begin)
		pid, at, err := t.next(ctx, t.pid)
		if err != nil {
			loop.stop()
			return r, err
		}
		t.pid = pid
		r.waits = append(r.waits, ms(returned))
		r.latencies = append(r.latencies, ms(at.Sub(begin)))
	}
	r.answered, r.refused, r.lost = loop.stop()
	if r.answered == 0 {
		return r, errors.New("no request was answered")
	}
	return r, nil
}

// requests makes requests to a loopback port one after another and counts
// their outcomes.
type requests struct {
	done                    chan struct{}
	wg                      sync.WaitGroup
	answered, refused, lost int
}

func startRequests(port int) *requests {
	q := &requests{done: make(chan struct{})}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		for {
			select {
			case <-q.done:
				return
			default:
			}
			c, err := net.Dial("tcp", addr)
			switch {
			case errors.Is(err, syscall.ECONNREFUSED):
				q.refused++
				continue
			case err != nil:
				q.lost++
				continue
			}
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang guard
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err != nil || line != "ok\n" {
				q.lost++
			} else {
				q.answered++
			}
		}
	}()
	return q
}

func (q *requests) stop() (answered, refused, lost int) {
	close(q.done)
	q.wg.Wait()
	return q.answered, q.refused, q.lost
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// command runs a CLI command with stdin (may be nil) and returns its stdout;
// its error carries stderr.
func command(ctx context.Context, stdin []byte, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), errors.Errorf("%s: %v: %s", strings.Join(args, " "), err, lastLines(stderr.String(), 10))
	}
	return stdout.String(), nil
}

// timed runs a CLI command and returns how long it took.
func timed(ctx context.Context, stdin []byte, args ...string) (time.Duration, error) {
	begin := time.Now()
	_, err := command(ctx, stdin, args...)
	return time.Since(begin), err
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// engine talks to the Docker Engine API of DOCKER_HOST, as Tilt does, for
// what must not include the CLI's own start-up: execs and restarts in live
// updates, and following a container's output.
type engine struct {
	client *http.Client
	base   string
	dial   func(ctx context.Context) (net.Conn, error) // for hijacked streams
}

func newEngine() (*engine, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, errors.Wrapf(err, "bad DOCKER_HOST %q", host)
	}
	var network, addr string
	switch u.Scheme {
	case "unix":
		network, addr = "unix", u.Path
	case "tcp", "http":
		network, addr = "tcp", u.Host
	default:
		return nil, errors.Errorf("unsupported DOCKER_HOST %q", host)
	}
	dial := func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) }}
	return &engine{client: &http.Client{Transport: tr}, base: "http://docker", dial: dial}, nil
}

// waitLog returns the time at which a line of the container's output
// holding want arrived, following the output from since. It reconnects when
// the stream ends (docker stop and restart end it), so it also sees the
// output of the container's next start.
func (e *engine) waitLog(ctx context.Context, id string, since time.Time, want string) (time.Time, error) {
	q := url.Values{"stdout": {"1"}, "stderr": {"1"}, "follow": {"1"},
		"since": {fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())}}
	for {
		at, found, err := e.scanLogs(ctx, "/containers/"+id+"/logs?"+q.Encode(), want)
		if found || ctx.Err() != nil {
			return at, ctx.Err()
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return time.Time{}, err
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return time.Time{}, err
		}
	}
}

// scanLogs reads one logs stream until a frame holds want or it ends.
func (e *engine) scanLogs(ctx context.Context, path, want string) (time.Time, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+path, nil)
	if err != nil {
		return time.Time{}, false, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return time.Time{}, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return time.Time{}, false, errors.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	// Without a TTY the stream is multiplexed: an 8-byte header (stream,
	// 0, 0, 0, big-endian size) before each frame; one frame per line.
	r := bufio.NewReader(resp.Body)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return time.Time{}, false, err
		}
		frame := make([]byte, binary.BigEndian.Uint32(hdr[4:]))
		if _, err := io.ReadFull(r, frame); err != nil {
			return time.Time{}, false, err
		}
		if bytes.Contains(frame, []byte(want)) {
			return time.Now(), true, nil
		}
	}
}

// follower waits for want in a container's output in the background, so
// that the wait is connected before the measured action begins.
type follower struct {
	done   chan struct{}
	cancel context.CancelFunc
	at     time.Time
	err    error
}

func (e *engine) follow(ctx context.Context, id string, since time.Time, want string) *follower {
	ctx, cancel := context.WithCancel(ctx)
	f := &follower{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(f.done)
		f.at, f.err = e.waitLog(ctx, id, since, want)
	}()
	return f
}

// wait returns when want arrived, with a hang guard of timeout.
func (f *follower) wait(timeout time.Duration) (time.Time, error) {
	defer f.cancel()
	select {
	case <-f.done:
		return f.at, f.err
	case <-time.After(timeout):
		f.cancel()
		<-f.done
		return time.Time{}, errors.Errorf("no such output within %s", timeout)
	}
}

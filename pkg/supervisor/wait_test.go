//go:build linux

package supervisor_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/testfs"
)

// restartWait runs `supervisor restart --wait` with args against s and
// returns its exit code, stdout and stderr.
func restartWait(t *testing.T, s *sup, cred *syscall.Credential, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(supervisor, append([]string{"restart", "--wait=" + hangGuard.String(), "--trigger=" + s.trigger}, args...)...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

func expectWait(t *testing.T, code int, stdout, stderr string, wantCode int, want ...string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, wantCode, stdout, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stdout+stderr, w) {
			t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", w, stdout, stderr)
		}
	}
	if wantCode == 0 && strings.Count(stdout, "\n") != 1 {
		t.Errorf("want one line on success, got %q", stdout)
	}
}

func TestRestartWait(t *testing.T) {
	t.Run("the new generation stays up: one line, exit 0", func(t *testing.T) {
		t.Parallel()
		s := startSup(t, supOptions{})
		s.gen(1)
		code, out, errOut := restartWait(t, s, nil, "--settle=100ms")
		expectWait(t, code, out, errOut, 0, "restart: pid ", " stopped in ", "started and stayed up 100ms (generation 2)")
		s.gen(2)
	})
	t.Run("the new app exits: its code", func(t *testing.T) {
		t.Parallel()
		s := startSup(t, supOptions{args: []string{"--exit-policy=continue"}, appFlags: []string{"-later-exit", "3"}})
		s.gen(1)
		code, out, errOut := restartWait(t, s, nil)
		expectWait(t, code, out, errOut, 3, "the new app (pid ", "exited with code 3")
	})
	t.Run("the new app exits 0 before the settle time: 1", func(t *testing.T) {
		t.Parallel()
		s := startSup(t, supOptions{args: []string{"--exit-policy=continue"}, appFlags: []string{"-later-exit", "0"}})
		s.gen(1)
		code, out, errOut := restartWait(t, s, nil, "--settle=1h")
		expectWait(t, code, out, errOut, 1, "exited with code 0", "before it stayed up 1h")
	})
	t.Run("the new app is killed: 128+signal", func(t *testing.T) {
		t.Parallel()
		s := startSup(t, supOptions{args: []string{"--exit-policy=continue"}, appFlags: []string{"-later-signal", "9"}})
		s.gen(1)
		code, out, errOut := restartWait(t, s, nil, "--settle=1h")
		expectWait(t, code, out, errOut, 137, "killed by signal SIGKILL")
	})
	t.Run("the new app cannot be executed: 126 or 127", func(t *testing.T) {
		t.Parallel()
		bin := filepath.Join(t.TempDir(), "app")
		if err := copyFile(app, bin); err != nil {
			t.Fatal(err)
		}
		s := startSup(t, supOptions{args: []string{"--exit-policy=continue"}, app: []string{bin}})
		s.logged("started pid")
		testfs.Chmod(t, bin, 0o644)
		code, out, errOut := restartWait(t, s, nil)
		expectWait(t, code, out, errOut, 126, "the new app could not be started: cannot run "+bin)
		testfs.Remove(t, bin)
		code, out, errOut = restartWait(t, s, nil)
		expectWait(t, code, out, errOut, 127, "the new app could not be started: cannot run "+bin+": no such file")
	})
	t.Run("the old app does not stop in time: 124", func(t *testing.T) {
		t.Parallel()
		s := startSup(t, supOptions{args: []string{"--stop-timeout=1h"}, appFlags: []string{"-ignore-term"}})
		s.gen(1)
		cmd := exec.Command(supervisor, "restart", "--wait=200ms", "--trigger="+s.trigger)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 124 || !strings.Contains(string(out), "no new app started within 200ms of the trigger") {
			t.Errorf("%v: %s", err, out)
		}
	})
	t.Run("no supervisor: 1, and the trigger is not written", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "trigger")
		out, err := exec.Command(supervisor, "restart", "--wait", "--trigger="+p).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "no supervisor answers for the trigger "+p) {
			t.Errorf("%v: %s", err, out)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("the trigger was written: %v", err)
		}
	})
	t.Run("a restart already in flight is joined", func(t *testing.T) {
		t.Parallel()
		// The app ignores SIGTERM: the first restart is stopping it until the
		// stop timeout kills it, while restart --wait comes in.
		s := startSup(t, supOptions{args: []string{"--stop-timeout=500ms"}, appFlags: []string{"-ignore-term"}})
		s.gen(1)
		s.write("by someone else")
		s.logged("restart requested")
		code, out, errOut := restartWait(t, s, nil, "--settle=0")
		expectWait(t, code, out, errOut, 0, "(generation 2)")
		s.logged("restart already in progress")
		s.gen(2)
		if n := s.count(`^start `); n != 2 {
			t.Errorf("%d generations, want 2:\n%s", n, s.stdout())
		}
	})
	t.Run("as another user", func(t *testing.T) {
		requireRoot(t)
		t.Parallel()
		s := startSup(t, supOptions{setup: func(s *sup) { testfs.Chmod(t, s.trigger, 0o666) }})
		s.gen(1)
		code, out, errOut := restartWait(t, s, &syscall.Credential{Uid: 65534, Gid: 65534}, "--settle=0")
		expectWait(t, code, out, errOut, 0, "(generation 2)")
	})
	t.Run("two supervisors of one network and PID namespace do not talk across", func(t *testing.T) {
		t.Parallel()
		a := startSup(t, supOptions{})
		b := startSup(t, supOptions{})
		a.gen(1)
		b.gen(1)
		code, out, errOut := restartWait(t, a, nil, "--settle=0")
		expectWait(t, code, out, errOut, 0, "(generation 2)")
		code, out, errOut = restartWait(t, a, nil, "--settle=0")
		expectWait(t, code, out, errOut, 0, "(generation 3)")
		if n := b.count(`^start `); n != 1 {
			t.Errorf("the other supervisor restarted: %d generations", n)
		}
	})
	t.Run("--ready waits for the port", func(t *testing.T) {
		t.Parallel()
		port := freePort(t)
		s := startSup(t, supOptions{appFlags: []string{"-serve", strconv.Itoa(port)}})
		s.line(`^serving gen=1 `, 1)
		code, out, errOut := restartWait(t, s, nil, "--ready=tcp:"+strconv.Itoa(port))
		expectWait(t, code, out, errOut, 0, "accepts connections on port "+strconv.Itoa(port))
		s.line(`^serving gen=2 `, 1)
		if got := request(t, port); !strings.HasPrefix(got, "gen=2 ") {
			t.Errorf("the port is served by %q, want generation 2", got)
		}
	})
}

// TestListenSockets checks the socket-activation protocol the app sees.
func TestListenSockets(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	sock := filepath.Join(t.TempDir(), "app.sock")
	s := startSup(t, supOptions{
		args:     []string{"--listen=tcp:127.0.0.1:" + strconv.Itoa(port) + ",unix:" + sock},
		appFlags: []string{"-print-env"},
	})
	s.gen(1)
	env := s.line(`^env `, 1)
	pid := strings.Fields(s.line(`^start `, 1))[1]
	for _, want := range []string{`"LISTEN_FDS=2"`, `"LISTEN_FDNAMES=tcp-` + strconv.Itoa(port) + `:unix-app.sock"`, `"LISTEN_PID=` + strings.TrimPrefix(pid, "pid=") + `"`} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %s: %s", want, env)
		}
	}
	if strings.Contains(env, "RESTART_") {
		t.Errorf("env has RESTART_ variables: %s", env)
	}
	// The supervisor holds the socket: connections are queued, not refused.
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("the socket is not listening: %v", err)
	}
	c.Close()
}

// TestRequestsDuringRestarts makes requests in a loop while the app restarts
// 100 times: with --listen none is refused or lost; without, the same loop
// counts refusals, so the test tells the two apart.
func TestRequestsDuringRestarts(t *testing.T) {
	for _, listen := range []bool{true, false} {
		t.Run("listen="+strconv.FormatBool(listen), func(t *testing.T) {
			port := freePort(t)
			var args []string
			if listen {
				args = []string{"--listen=tcp:127.0.0.1:" + strconv.Itoa(port)}
			}
			s := startSup(t, supOptions{args: args, appFlags: []string{"-serve", strconv.Itoa(port)}})
			s.line(`^serving gen=1 activated=`+strconv.FormatBool(listen), 1)
			c := loopRequests(port)
			for i := 2; i <= 101; i++ {
				wait := "--settle=0"
				if i == 101 { // the last one serves the loop's last requests
					wait = "--ready=tcp:" + strconv.Itoa(port)
				}
				code, out, errOut := restartWait(t, s, nil, wait)
				expectWait(t, code, out, errOut, 0, "(generation "+strconv.Itoa(i)+")")
				if t.Failed() {
					t.FailNow()
				}
			}
			if got := request(t, port); !strings.HasPrefix(got, "gen=") {
				t.Fatalf("the last generation answers %q", got)
			}
			ok, refused, lost := c.stop()
			t.Logf("100 restarts, listen=%v: %d answered, %d refused, %d lost", listen, ok, refused, lost)
			if ok == 0 {
				t.Fatal("no request was answered")
			}
			if listen && (refused != 0 || lost != 0) {
				t.Errorf("with --listen: %d refused, %d lost, want none", refused, lost)
			}
			if !listen && refused == 0 {
				t.Errorf("without --listen no request was refused: the loop does not see restarts")
			}
		})
	}
}

// requestLoop counts the outcomes of requests made one after another.
type requestLoop struct {
	done              chan struct{}
	wg                sync.WaitGroup
	ok, refused, lost int
}

func loopRequests(port int) *requestLoop {
	c := &requestLoop{done: make(chan struct{})}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			select {
			case <-c.done:
				return
			default:
			}
			conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				if errors.Is(err, syscall.ECONNREFUSED) {
					c.refused++
				} else {
					c.lost++
				}
				continue
			}
			line, err := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if err != nil || !strings.HasPrefix(line, "gen=") {
				c.lost++
			} else {
				c.ok++
			}
		}
	}()
	return c
}

func (c *requestLoop) stop() (ok, refused, lost int) {
	close(c.done)
	c.wg.Wait()
	return c.ok, c.refused, c.lost
}

func request(t *testing.T, port int) string {
	t.Helper()
	conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return line
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

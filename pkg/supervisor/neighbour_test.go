//go:build linux

package supervisor_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	supervisorpkg "github.com/tilt-dev/restart-frontend/pkg/supervisor"
)

// The status socket is abstract, so every container of a pod (one network
// namespace) can reach it. These tests play such a neighbour: silent
// connections, a flood of proven ones, another mount namespace connecting,
// and one that binds the name first and answers with made-up lines.

// dialStatus connects to s's status socket from the test, in the test's own
// mount namespace, and, if prove is set, sends the proof a waiter sends.
func dialStatus(t *testing.T, s *sup, prove bool) int {
	t.Helper()
	name, err := supervisorpkg.StatusAddress(s.trigger)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: name}); err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	if prove {
		sendNamespace(t, fd, "waiter\n")
	}
	return fd
}

// sendNamespace writes msg with a descriptor of this process's mount
// namespace, the proof of proof_linux.go.
func sendNamespace(t *testing.T, fd int, msg string) {
	t.Helper()
	ns, err := unix.Open("/proc/self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ns)
	if err := unix.Sendmsg(fd, []byte(msg), unix.UnixRights(ns), nil, 0); err != nil {
		t.Fatal(err)
	}
}

// inOtherMountNamespace runs cmd in a mount namespace of its own: what a
// neighbour container of the pod has.
func inOtherMountNamespace(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	return cmd
}

func TestStatusSocketNeighbour(t *testing.T) {
	t.Run("silent connections do not keep a waiter out", func(t *testing.T) {
		t.Parallel()
		s := startSup(t, supOptions{})
		s.gen(1)
		for range 200 {
			dialStatus(t, s, false)
		}
		code, out, errOut := restartWait(t, s, nil, "--settle=0")
		expectWait(t, code, out, errOut, 0, "(generation 2)")
	})
	t.Run("one waiter too many is told so, and waiters that hang up make room", func(t *testing.T) {
		t.Parallel()
		s := startSup(t, supOptions{})
		s.gen(1)
		var held []int
		for range supervisorpkg.MaxWaiters {
			fd := dialStatus(t, s, true)
			held = append(held, fd)
			readHello(t, fd)
		}
		code, out, errOut := restartWait(t, s, nil, "--settle=0")
		expectWait(t, code, out, errOut, 1, "already serves "+strconv.Itoa(supervisorpkg.MaxWaiters)+" restart --wait at once; the trigger was not written")
		if n := s.count(`^start `); n != 1 {
			t.Errorf("a refused waiter restarted the app: %d generations", n)
		}
		for _, fd := range held {
			unix.Shutdown(fd, unix.SHUT_RDWR)
		}
		// The server notices the hang-ups without a publish to find them.
		for deadline := time.Now().Add(hangGuard); ; time.Sleep(50 * time.Millisecond) {
			code, out, errOut := restartWait(t, s, nil, "--settle=0")
			if code == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no room for a waiter after the others hung up: %d\n%s%s", code, out, errOut)
			}
		}
	})
	t.Run("a waiter in another mount namespace is refused", func(t *testing.T) {
		requireRoot(t)
		t.Parallel()
		s := startSup(t, supOptions{})
		s.gen(1)
		out, err := inOtherMountNamespace(exec.Command(supervisor, "restart", "--wait", "--trigger="+s.trigger)).CombinedOutput()
		if code := exitCode(t, err); code != 1 || !strings.Contains(string(out), "is held by a process outside this container") {
			t.Errorf("exit code %d, want 1 and a refusal:\n%s", code, out)
		}
		if n := s.count(`^start `); n != 1 {
			t.Errorf("the neighbour's restart --wait restarted the app: %d generations", n)
		}
	})
	t.Run("a neighbour that holds the name first is not believed", func(t *testing.T) {
		requireRoot(t)
		t.Parallel()
		s := startSup(t, supOptions{setup: func(s *sup) {
			name, err := supervisorpkg.StatusAddress(s.trigger)
			if err != nil {
				t.Fatal(err)
			}
			squatter := inOtherMountNamespace(exec.Command(os.Args[0]))
			squatter.Env = append(os.Environ(), helperEnv+"=squatter", "SQUAT_ADDRESS="+name)
			ready, err := squatter.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := squatter.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { squatter.Process.Kill(); squatter.Wait() })
			var b [6]byte
			if n, err := ready.Read(b[:]); err != nil || string(b[:n]) != "bound\n" {
				t.Fatalf("the squatter did not bind: %q %v", b[:n], err)
			}
		}})
		s.gen(1)
		s.logged("its address is taken")
		code, out, errOut := restartWait(t, s, nil, "--settle=0")
		expectWait(t, code, out, errOut, 1, "is held by a process outside this container", "the trigger was not written")
		// restart without --wait needs no status: the app restarts.
		if out, err := exec.Command(supervisor, "restart", "--trigger="+s.trigger).CombinedOutput(); err != nil {
			t.Fatalf("restart: %v\n%s", err, out)
		}
		s.gen(2)
	})
}

// readHello reads the supervisor's first line to a proven waiter.
func readHello(t *testing.T, fd int) {
	t.Helper()
	buf := make([]byte, len(supervisorpkg.StatusHello))
	tv := unix.NsecToTimeval(int64(hangGuard))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	n, _, _, _, err := unix.Recvmsg(fd, buf, make([]byte, unix.CmsgSpace(4)), unix.MSG_CMSG_CLOEXEC)
	if err != nil || string(buf[:n]) != supervisorpkg.StatusHello {
		t.Fatalf("no hello from the supervisor: %q %v", buf[:n], err)
	}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatal(err)
	}
	return ee.ExitCode()
}

// squatterMain binds the status address in SQUAT_ADDRESS before the
// supervisor does, says "bound", and answers every connection as a
// supervisor would, with its own proof and a made-up successful restart.
func squatterMain() int {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrUnix{Name: os.Getenv("SQUAT_ADDRESS")})
	}
	if err == nil {
		err = unix.Listen(fd, 16)
	}
	if err != nil {
		os.Stderr.WriteString("squatter: " + err.Error() + "\n")
		return 1
	}
	os.Stdout.WriteString("bound\n")
	ns, err := unix.Open("/proc/self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 1
	}
	for {
		c, _, err := unix.Accept(fd)
		if err != nil {
			continue
		}
		now := strconv.FormatInt(time.Now().Add(time.Hour).UnixNano(), 10)
		unix.Sendmsg(c, []byte(supervisorpkg.StatusHello), unix.UnixRights(ns), nil, 0)
		unix.Write(c, []byte("gen=9 req="+now+" state=started pid=1 code=0 oldpid=0 stopped=0 msg=\n"))
	}
}

// TestHostileTrigger: a writable trigger folder lets any user of the
// container replace the trigger with a link to /dev/zero or a FIFO, or
// write gigabytes into it. Here user nobody does each, with the shell's own
// tools. PID 1 still restarts, forwards signals and exits with the app's
// code.
func TestHostileTrigger(t *testing.T) {
	requireRoot(t)
	for name, plant := range map[string]string{
		"a link to /dev/zero": `rm -f "$T" && ln -s /dev/zero "$T"`,
		"a FIFO":              `rm -f "$T" && mkfifo "$T"`,
		"a huge write":        `rm -f "$T" && { echo 4000000000000000000; head -c 67108864 /dev/zero; } > "$T"`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Not the helper app: it shows the trigger's content.
			s := startSup(t, supOptions{app: []string{"sleep", "1000"}})
			s.waitFor("the app", func() bool { return strings.Count(s.stderr.String(), "started pid") == 1 })
			cmd := exec.Command("sh", "-c", plant)
			cmd.Env = append(os.Environ(), "T="+s.trigger)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("planting as nobody: %v\n%s", err, out)
			}
			s.waitFor("a restart", func() bool { return strings.Count(s.stderr.String(), "started pid") >= 2 })
			s.signal(syscall.SIGTERM)
			if code := s.wait(); code != 128+int(syscall.SIGTERM) {
				t.Errorf("exit code %d, want the app's %d", code, 128+int(syscall.SIGTERM))
			}
		})
	}
}

// TestFutureStampIsNoRequest: anyone can write a stamp far in the future
// into the trigger. Taken as a request, it stayed the newest for good, and
// every later restart --wait accepted the generation running then. It
// restarts the app, as any write does, and is then forgotten.
func TestFutureStampIsNoRequest(t *testing.T) {
	t.Parallel()
	s := startSup(t, supOptions{})
	s.gen(1)
	s.write("4000000000000000000\n") // the year 2096
	s.gen(2)
	code, out, errOut := restartWait(t, s, nil, "--settle=0")
	expectWait(t, code, out, errOut, 0, "(generation 3)")
}

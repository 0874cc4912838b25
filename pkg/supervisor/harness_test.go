//go:build linux

package supervisor_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/test/testfs"
)

// hangGuard bounds every wait. Tests assert on what happens, never on how
// fast: latency is BenchmarkRestart's business.
const hangGuard = 30 * time.Second

var (
	binDir     string // holds supervisor and app, readable by every user
	supervisor string // the supervisor binary, built once
	app        string // a copy of this test binary, the helper app
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain())
	}
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	binDir, err = os.MkdirTemp("", "supervisor-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	if err := os.Chmod(binDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	supervisor = filepath.Join(binDir, "supervisor")
	args := []string{"build", "-o", supervisor}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/tilt-dev/restart-frontend/cmd/supervisor")...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the supervisor: %v\n%s", err, out)
		return 1
	}
	app = filepath.Join(binDir, "app")
	if err := copyFile(self(), app); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

// sup is a supervisor under test.
type sup struct {
	t       testing.TB
	cmd     *exec.Cmd
	dir     string // scratch directory: trigger, state
	trigger string
	state   string

	mu     sync.Mutex
	lines  []string // the app's stdout lines
	cond   *sync.Cond
	stderr bytes.Buffer
	exited bool
	code   int
	pids   []int // every pid reported, killed at cleanup
	nsPids bool  // pids are a PID namespace's

	stderrDone bool // every writer of stderr is gone
}

type supOptions struct {
	args     []string // supervisor options; --trigger is added unless given
	app      []string // the command; the helper app by default
	appFlags []string // flags of the helper app, after -state and -trigger
	env      []string // extra environment
	wrap     []string // runs the supervisor under this command (unshare, sh -c)
	dir      string   // working directory
	cred     *syscall.Credential
	trigger  string // trigger path; a file in the scratch directory by default
	noFile   bool   // do not create the trigger
	stdin    *os.File
	setup    func(s *sup)
}

// appArgs runs the helper app with flags.
func appArgs(flags ...string) []string { return append([]string{app}, flags...) }

func startSup(t testing.TB, o supOptions) *sup {
	t.Helper()
	s := &sup{t: t, dir: t.TempDir()}
	s.cond = sync.NewCond(&s.mu)
	testfs.Chmod(t, s.dir, 0o777)
	testfs.Chmod(t, filepath.Dir(s.dir), 0o755) // for tests running as another user
	s.state = filepath.Join(s.dir, "state")
	testfs.Mkdir(t, s.state, 0o777)
	testfs.Chmod(t, s.state, 0o777)
	s.trigger = o.trigger
	if s.trigger == "" {
		s.trigger = filepath.Join(s.dir, "trigger")
	}
	if !o.noFile {
		if err := os.WriteFile(s.trigger, []byte("initial\n"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if o.setup != nil {
		o.setup(s)
	}
	args := o.args
	if !hasPrefix(args, "--trigger") {
		args = append([]string{"--trigger=" + s.trigger}, args...)
	}
	command := o.app
	if command == nil {
		command = appArgs(append([]string{"-state", s.state, "-trigger", s.trigger}, o.appFlags...)...)
	}
	// Pids printed inside a PID namespace are not the host's: never kill
	// them. The namespace dies with the supervisor anyway.
	s.nsPids = len(o.wrap) > 0 && o.wrap[0] == "unshare"
	argv := append(append(append([]string{}, o.wrap...), supervisor), args...)
	argv = append(append(argv, "--"), command...)
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Env = append(append(os.Environ(), helperEnv+"=app", markerEnv+"="+s.dir), o.env...)
	s.cmd.Dir = o.dir

	if o.stdin != nil {
		s.cmd.Stdin = o.stdin
	}
	if o.cred != nil {
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred}
	}
	// A pipe of our own rather than StdoutPipe: daemons of the app keep it
	// open, which must not delay noticing that the supervisor exited.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	er, ew, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = w, ew
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	ew.Close()
	go s.read(r)
	go func() {
		io.Copy(&lockedWriter{s: s}, er)
		er.Close()
		s.mu.Lock()
		s.stderrDone = true
		s.cond.Broadcast()
		s.mu.Unlock()
	}()
	go s.waitExit()
	t.Cleanup(s.cleanup)
	return s
}

func hasPrefix(list []string, prefix string) bool {
	for _, a := range list {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}

type lockedWriter struct{ s *sup }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.stderr.Write(p)
	w.s.cond.Broadcast()
	return len(p), nil
}

var pidRE = regexp.MustCompile(`\bpid=(\d+)`)

func (s *sup) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		s.mu.Lock()
		s.lines = append(s.lines, line)
		if m := pidRE.FindStringSubmatch(line); m != nil {
			pid, _ := strconv.Atoi(m[1])
			s.pids = append(s.pids, pid)
		}
		s.cond.Broadcast()
		s.mu.Unlock()
	}
	r.(io.Closer).Close()
}

func (s *sup) waitExit() {
	s.cmd.Wait()
	s.mu.Lock()
	s.exited = true
	s.code = s.cmd.ProcessState.ExitCode()
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		s.code = 128 + int(ws.Signal())
	}
	s.cond.Broadcast()
	s.mu.Unlock()
}

// waitFor waits until cond holds, under the lock.
func (s *sup) waitFor(what string, cond func() bool) {
	s.t.Helper()
	timer := time.AfterFunc(hangGuard, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(hangGuard)
	s.mu.Lock()
	defer s.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s\nstdout:\n%s\nstderr:\n%s", what, strings.Join(s.lines, "\n"), s.stderr.String())
		}
		s.cond.Wait()
	}
}

// line waits for the n-th (1-based) stdout line matching re and returns it.
func (s *sup) line(re string, n int) string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	var found string
	s.waitFor(fmt.Sprintf("stdout line #%d matching %q", n, re), func() bool {
		c := 0
		for _, l := range s.lines {
			if rx.MatchString(l) {
				c++
				if c == n {
					found = l
					return true
				}
			}
		}
		return false
	})
	return found
}

// gen waits for the start of generation n.
func (s *sup) gen(n int) string {
	s.t.Helper()
	return s.line(`^start pid=\d+ gen=`+strconv.Itoa(n)+`\b`, 1)
}

// logged waits for a line of the supervisor's log containing text.
func (s *sup) logged(text string) {
	s.t.Helper()
	s.waitFor("log "+strconv.Quote(text), func() bool { return strings.Contains(s.stderr.String(), text) })
}

func (s *sup) count(rx string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	re := regexp.MustCompile(rx)
	for _, l := range s.lines {
		if re.MatchString(l) {
			n++
		}
	}
	return n
}

func (s *sup) logCount(text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.stderr.String(), text)
}

func (s *sup) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

func (s *sup) stdout() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// wait waits for the supervisor to exit, and its log to be read, and
// returns its exit code.
func (s *sup) wait() int {
	s.t.Helper()
	s.waitFor("the supervisor to exit", func() bool { return s.exited && s.stderrDone })
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code
}

func (s *sup) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
}

// write replaces the trigger's content, as `date > trigger` does.
func (s *sup) write(content string) {
	s.t.Helper()
	if err := os.WriteFile(s.trigger, []byte(content+"\n"), 0o666); err != nil {
		s.t.Fatal(err)
	}
}

// marker renames a file with content onto the trigger: one inotify event,
// queued after every event of earlier changes.
func (s *sup) marker(content string) {
	s.t.Helper()
	tmp := s.trigger + ".marker"
	if err := os.WriteFile(tmp, []byte(content+"\n"), 0o666); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, s.trigger); err != nil {
		s.t.Fatal(err)
	}
}

// noOverlap checks that no generation started while another was alive.
func (s *sup) noOverlap() {
	s.t.Helper()
	if n := s.count(`OVERLAP`); n > 0 {
		s.t.Errorf("%d generations started while an earlier one was alive:\n%s", n, s.stdout())
	}
}

func (s *sup) cleanup() {
	s.mu.Lock()
	exited := s.exited
	pids := append([]int(nil), s.pids...)
	s.mu.Unlock()
	if !exited {
		s.cmd.Process.Signal(syscall.SIGKILL)
	}
	if s.nsPids {
		pids = nil
	}
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGKILL)
	}
	for _, name := range []string{"group", "session", "daemon"} {
		if s.nsPids {
			break
		}
		if b, err := os.ReadFile(filepath.Join(s.state, "pid."+name)); err == nil {
			if p, err := strconv.Atoi(string(b)); err == nil {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
	}
	if !exited {
		s.waitFor("the supervisor to die", func() bool { return s.exited })
	}
	s.killMarked()
	if strings.Contains(s.logs(), "DATA RACE") {
		s.t.Errorf("the supervisor has a data race:\n%s", s.logs())
	}
}

// markerEnv names, in the environment of a harness supervisor and so of its
// apps (the supervisor passes all but RESTART_ variables on), the folder of
// that harness.
const markerEnv = "SUPERVISOR_TEST_DIR"

// killMarked kills, until none is left, the processes whose environment
// marks them as this harness's: an app generation that started as the
// supervisor was killed has printed no pid yet, and would otherwise outlive
// the test and write into its folder while the folder is removed.
func (s *sup) killMarked() {
	marker := []byte(markerEnv + "=" + s.dir + "\x00")
	deadline := time.Now().Add(hangGuard)
	for {
		var left []int
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			// A zombie's environment reads empty: it writes nothing more.
			env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
			if err == nil && bytes.Contains(append([]byte{0}, env...), append([]byte{0}, marker...)) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			s.t.Errorf("processes of the test outlive it: %v", left)
			return
		}
		for _, p := range left {
			syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gone reports whether no process has this pid (a zombie counts as alive).
func gone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

func readPid(t *testing.T, state, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, "pid."+name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// pidNamespace returns the wrapper that runs the supervisor as PID 1 of a new
// PID namespace, as a session leader (runc makes the container's init one).
func pidNamespace(t testing.TB) []string {
	t.Helper()
	requireRoot(t)
	if err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "true").Run(); err != nil {
		t.Skipf("cannot create a PID namespace: %v", err)
	}
	// --kill-child: the namespace dies with unshare, whatever the test did.
	return []string{"unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "setsid"}
}

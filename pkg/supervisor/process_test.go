//go:build linux

package supervisor_test

import (
	"archive/tar"
	"bytes"
	"fmt"
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

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/test/testfs"
)

// Real processes, real signals, real files: the supervisor binary runs the
// helper app (helper_test.go) or sh.

func TestRunsTheApp(t *testing.T) {
	t.Parallel()
	wd := t.TempDir()
	s := startSup(t, supOptions{
		app: []string{"app", "-print-env", "a b", "--", "-x"}, // found in PATH
		env: []string{"PATH=" + binDir + ":/usr/bin:/bin", "KEEP=1", "RESTART_CUSTOM=x", "RESTART_QUIET=false"},
		dir: wd,
	})
	s.gen(0)
	got := s.line(`^args `, 1)
	if want := `args ["a b" "--" "-x"]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := s.line(`^wd `, 1); got != "wd "+wd {
		t.Errorf("got %s, want wd %s", got, wd)
	}
	env := s.line(`^env `, 1)
	if !strings.Contains(env, `"KEEP=1"`) || strings.Contains(env, "RESTART_") {
		t.Errorf("the app's environment should keep KEEP and lose every RESTART_*: %s", env)
	}
	s.logged("started pid ")
	s.logged(`: app -print-env "a b" -- -x`)
}

func TestTriggerKinds(t *testing.T) {
	kinds := []struct {
		name   string
		change func(t *testing.T, s *sup)
	}{
		{"write", func(t *testing.T, s *sup) { s.write("x") }},
		{"shell redirection", func(t *testing.T, s *sup) { sh(t, "date > "+s.trigger) }},
		{"truncate", func(t *testing.T, s *sup) { testfs.Truncate(t, s.trigger, 0) }},
		{"touch", func(t *testing.T, s *sup) { sh(t, "touch "+s.trigger) }},
		{"touch by path", func(t *testing.T, s *sup) {
			later := time.Now().Add(time.Hour)
			testfs.Chtimes(t, s.trigger, later, later)
		}},
		{"create after delete", func(t *testing.T, s *sup) {
			testfs.Remove(t, s.trigger)
			s.write("recreated")
		}},
		{"rename onto", func(t *testing.T, s *sup) {
			testfs.WriteFile(t, s.trigger+".new", []byte("renamed"), 0o666)
			testfs.Rename(t, s.trigger+".new", s.trigger)
		}},
		{"atomic rename-write via a temp file", func(t *testing.T, s *sup) {
			f, err := os.CreateTemp(filepath.Dir(s.trigger), ".trigger-*")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString("atomic"); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			testfs.Rename(t, f.Name(), s.trigger)
		}},
		{"restart subcommand", func(t *testing.T, s *sup) {
			out, err := exec.Command(supervisor, "restart", "--trigger", s.trigger).CombinedOutput()
			if err != nil {
				t.Fatalf("restart: %v: %s", err, out)
			}
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			s := startSup(t, supOptions{args: []string{"--exit-policy=continue"}})
			s.gen(1)
			k.change(t, s)
			s.gen(2)
			// The marker's restart comes next: had the change made a second
			// trigger, it would have been logged before the marker's.
			s.marker("marker")
			s.line(`trigger=marker`, 1)
			if n := s.logCount("restart requested: trigger "); n != 2 {
				t.Errorf("%d restarts requested, want 2 (the change's and the marker's):\n%s", n, s.logs())
			}
			s.noOverlap()
		})
	}
}

func TestTriggerCreatedWhenMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	trig := filepath.Join(dir, "new", "dir", "trigger")
	s := startSup(t, supOptions{
		trigger: trig,
		noFile:  true,
		// A restrictive umask must not make the trigger private.
		wrap: []string{"sh", "-c", `umask 077; exec "$0" "$@"`},
	})
	s.gen(1)
	st, err := os.Stat(trig)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o666 {
		t.Errorf("trigger mode %v, want 0666", st.Mode().Perm())
	}
	s.write("go")
	s.gen(2)
}

func TestTriggerNotCreatable(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	dir := t.TempDir()
	testfs.Chmod(t, dir, 0o755) // root's: uid 65534 cannot create in it
	trig := filepath.Join(dir, "trigger")
	s := startSup(t, supOptions{
		trigger: trig,
		noFile:  true,
		cred:    &syscall.Credential{Uid: 65534, Gid: 65534},
	})
	s.gen(1)
	s.logged("cannot create the trigger " + trig)
	// Root creates it later: the supervisor still watches the directory.
	testfs.WriteFile(t, trig, []byte("root\n"), 0o644)
	s.gen(2)
	if n := s.logCount("cannot create"); n != 1 {
		t.Errorf("logged %d times, want once", n)
	}
}

// TestTriggerOnReadOnlyFileSystem: the trigger exists (the frontend puts it
// in the image) but its file system is read-only, as under Kubernetes'
// readOnlyRootFilesystem: the supervisor runs the app and says once, at
// start, that no live update can write the trigger and what to do.
func TestTriggerOnReadOnlyFileSystem(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	dir := t.TempDir()
	trig := filepath.Join(dir, "trigger")
	if err := os.WriteFile(trig, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	// A private mount namespace in which dir is read-only.
	remount := fmt.Sprintf(`mount --bind %[1]s %[1]s && mount -o remount,bind,ro %[1]s && exec "$0" "$@"`, dir)
	if err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", remount, "true").Run(); err != nil {
		t.Skipf("cannot make a read-only mount: %v", err)
	}
	s := startSup(t, supOptions{
		trigger: trig,
		noFile:  true,
		wrap:    []string{"unshare", "--mount", "--propagation", "private", "sh", "-c", remount},
	})
	s.gen(1)
	s.logged("the trigger " + trig + " is on a read-only file system")
	s.logged("set RESTART_TRIGGER to a path in it")
	if n := s.logCount("is on a read-only file system"); n != 1 {
		t.Errorf("logged %d times, want once", n)
	}
}

func TestTriggerStorm(t *testing.T) {
	t.Parallel()
	s := startSup(t, supOptions{})
	s.gen(1)
	const burst = 300
	for i := 1; i <= burst; i++ {
		if i%3 == 0 {
			s.marker("burst " + strconv.Itoa(i))
		} else {
			s.write("burst " + strconv.Itoa(i))
		}
	}
	// A generation started after the last write (it reads its content)...
	final := `trigger=burst ` + strconv.Itoa(burst) + `\b`
	s.line(final, 1)
	// ...and settles: the marker's is at most the third start after it.
	s.marker("settled")
	s.line(`trigger=settled`, 1)
	if n := s.count(final); n > 3 {
		t.Errorf("%d generations started after the burst before the marker's, want at most 3", n)
	}
	gens := s.count(`^start `)
	if gens > burst+2 {
		t.Errorf("%d generations for %d triggers", gens, burst)
	}
	s.noOverlap()
	t.Logf("%d triggers made %d restarts", burst+1, gens-1)
}

func TestStopTimeout(t *testing.T) {
	t.Parallel()
	s := startSup(t, supOptions{args: []string{"--stop-timeout=300ms"}, appFlags: []string{"-ignore-term"}})
	s.line(`^start `, 1)
	s.write("go")
	s.line(`^start `, 2)
	s.logged("killed 1 processes after 300ms stop timeout")
}

// TestGrandchildren: a child in the app's group, a setsid'd child and a
// double-forked daemon; none survives a restart, whether they stop on
// SIGTERM or must be killed, whether the supervisor is a subreaper or PID 1.
func TestGrandchildren(t *testing.T) {
	for _, pid1 := range []bool{false, true} {
		for _, ignore := range []bool{false, true} {
			name := "subreaper"
			if pid1 {
				name = "PID 1"
			}
			if ignore {
				name += ", killed after the stop timeout"
			} else {
				name += ", stopped by the stop signal"
			}
			t.Run(name, func(t *testing.T) {
				var wrap []string
				if pid1 {
					wrap = pidNamespace(t)
				}
				t.Parallel()
				flags := []string{"-children"}
				if ignore {
					flags = append(flags, "-ignore-term", "-children-ignore-term")
				}
				s := startSup(t, supOptions{wrap: wrap, args: []string{"--stop-timeout=500ms"}, appFlags: flags})
				dir := s.state
				s.line(`^start .*gen=1`, 1)
				s.line(`^children ready`, 1)
				var old []int
				for _, name := range []string{"group", "session", "daemon"} {
					old = append(old, readPid(t, dir, name))
					testfs.Remove(t, filepath.Join(dir, "pid."+name))
				}
				s.write("go")
				s.line(`^start .*gen=2`, 1)
				s.line(`^children ready`, 2)
				// The generation lock (flock, held by every process of a
				// generation) proves the kernel saw no overlap.
				s.noOverlap()
				if !pid1 { // the pids are the namespace's otherwise
					for i, pid := range old {
						if !gone(pid) {
							t.Errorf("the %s process %d of generation 1 survived the restart", []string{"group", "session", "daemon"}[i], pid)
						}
					}
				}
				if ignore {
					s.logged("killed 4 processes after 500ms stop timeout")
				}
			})
		}
	}
}

func TestZombiesAreReapedAsPID1(t *testing.T) {
	wrap := pidNamespace(t)
	t.Parallel()
	s := startSup(t, supOptions{wrap: wrap, appFlags: []string{"-orphans", "20"}})
	if got := s.line(`^zombies: `, 1); got != "zombies: none" {
		t.Errorf("%s", got)
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		script string
		code   int
		log    string
	}{
		{"exit 0", 0, "exited with code 0"},
		{"exit 3", 3, "exited with code 3"},
		{"kill -KILL $$", 137, "killed by signal SIGKILL (exit code 137)"},
		{"kill -SEGV $$", 139, "killed by signal SIGSEGV (exit code 139)"},
	}
	for _, c := range cases {
		t.Run("exit policy exit: "+c.script, func(t *testing.T) {
			t.Parallel()
			s := startSup(t, supOptions{app: []string{"sh", "-c", "echo start pid=$$; " + c.script}})
			if code := s.wait(); code != c.code {
				t.Errorf("exit code %d, want %d\n%s", code, c.code, s.logs())
			}
			s.logged(c.log)
		})
		t.Run("exit policy continue: "+c.script, func(t *testing.T) {
			t.Parallel()
			s := startSup(t, supOptions{
				args: []string{"--exit-policy=continue"},
				app:  []string{"sh", "-c", "echo start pid=$$; " + c.script},
			})
			s.line(`^start`, 1)
			s.logged(c.log)
			s.logged("waiting for a trigger (exit policy continue)")
			s.write("again")
			s.line(`^start`, 2)
			s.logged("waiting for a trigger")
			s.waitFor("two exits logged", func() bool { return strings.Count(s.stderr.String(), c.log) == 2 })
			s.signal(syscall.SIGTERM)
			if code := s.wait(); code != c.code {
				t.Errorf("exit code %d, want %d (the last app's)", code, c.code)
			}
		})
	}
}

func TestExecFailures(t *testing.T) {
	dir := t.TempDir()
	testfs.Chmod(t, dir, 0o755)
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notExec := write("not-executable", "#!/bin/sh\necho hi\n", 0o644)
	garbage := write("garbage", "\x00\x01\x02\x03not a binary", 0o755)
	noInterp := write("no-interpreter", "#!/nonexistent/interpreter\n", 0o755)
	cases := []struct {
		name string
		argv []string
		code int
		msg  string
	}{
		{"not in PATH", []string{"no-such-command-x"}, 127, "cannot run no-such-command-x: executable file not found in PATH"},
		{"no such file", []string{"/no/such/file"}, 127, "cannot run /no/such/file: no such file or directory"},
		{"not executable", []string{notExec}, 126, "cannot run " + notExec + ": permission denied"},
		{"a directory", []string{dir}, 126, "cannot run " + dir + ": is a directory"},
		{"exec format error", []string{garbage}, 126, "exec format error: not a linux/"},
		{"missing interpreter", []string{noInterp}, 127, "its interpreter (#! line) or dynamic loader was not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := startSup(t, supOptions{app: c.argv})
			if code := s.wait(); code != c.code {
				t.Errorf("exit code %d, want %d", code, c.code)
			}
			if !strings.Contains(s.logs(), c.msg) {
				t.Errorf("log lacks %q:\n%s", c.msg, s.logs())
			}
		})
	}
	t.Run("exit policy continue waits for the command to appear", func(t *testing.T) {
		t.Parallel()
		later := filepath.Join(t.TempDir(), "server")
		s := startSup(t, supOptions{args: []string{"--exit-policy=continue"}, app: []string{later, "arg"}})
		s.logged("no such file or directory")
		s.logged("waiting for a trigger")
		testfs.WriteFile(t, later, []byte("#!/bin/sh\necho start pid=$$ \"$@\"\nexec sleep 1000\n"), 0o755)
		s.write("synced")
		if got := s.line(`^start`, 1); !strings.HasSuffix(got, " arg") {
			t.Errorf("got %q", got)
		}
	})
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  []string
		code int
		msg  string
	}{
		{"no command", []string{"--quiet", "--"}, nil, 127, "no command to run: the image has neither ENTRYPOINT nor CMD; give one"},
		{"no arguments at all", nil, nil, 127, "no command to run"},
		{"bad option", []string{"--stop-timeout=5", "--", "true"}, nil, 2, `invalid --stop-timeout value "5": want a Go duration`},
		{"unknown option", []string{"--nope", "--", "true"}, nil, 2, `unknown option "--nope"`},
		{"bad variable", []string{"--", "true"}, []string{"RESTART_EXIT_POLICY=sometimes"}, 2, `invalid RESTART_EXIT_POLICY value "sometimes": want exit or continue`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(supervisor, c.args...)
			cmd.Env = append(os.Environ(), c.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != c.code {
				t.Errorf("exit code %d, want %d", code, c.code)
			}
			out := stderr.String()
			if !strings.HasPrefix(out, "[restart] ") || !strings.Contains(out, c.msg) || strings.Count(out, "\n") != 1 {
				t.Errorf("stderr should be one line containing %q, got:\n%s", c.msg, out)
			}
		})
	}
}

func TestSubcommands(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(supervisor, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "supervisor dev go1.") || !strings.Contains(string(out), " linux/") {
		t.Errorf("version: %q, %v", out, err)
	}
	for _, h := range []string{"help", "--help", "-h"} {
		out, err := exec.Command(supervisor, h).Output()
		if err != nil {
			t.Errorf("%s: %v", h, err)
		}
		for _, want := range []string{"--trigger", "RESTART_TRIGGER", "--exit-policy", "RESTART_EXIT_POLICY", "--stop-signal",
			"RESTART_STOP_SIGNAL", "--stop-timeout", "RESTART_STOP_TIMEOUT", "--watch", "RESTART_WATCH", "--debounce", "RESTART_DEBOUNCE", "--poll", "RESTART_POLL",
			"--quiet", "RESTART_QUIET", "supervisor restart"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s lacks %q", h, want)
			}
		}
	}
}

func TestSignalForwarding(t *testing.T) {
	t.Run("every forwarded signal reaches the app", func(t *testing.T) {
		t.Parallel()
		s := startSup(t, supOptions{appFlags: []string{"-signals"}})
		s.line(`^start`, 1)
		sigs := []syscall.Signal{
			unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGWINCH, unix.SIGCONT, unix.SIGTSTP,
			unix.SIGIO, unix.SIGPWR, unix.SIGSTKFLT, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM,
			unix.SIGABRT, unix.SIGILL, unix.SIGTRAP, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV, unix.SIGSYS,
			35, 37, 50, 64, // 34 is the Go runtime's: neither can catch it
		}
		for i, sig := range sigs {
			s.signal(sig)
			want := "got " + unix.SignalName(sig)
			if sig >= 35 {
				want = "got " // x/sys has no names for real-time signals
			}
			s.line(`^got `, i+1)
			if got := s.line(`^got `, i+1); !strings.HasPrefix(got, want) {
				t.Errorf("sent %v, the app got %q", sig, got)
			}
		}
		// SIGPIPE is not forwarded: the next signal the app sees is USR1.
		s.signal(unix.SIGPIPE)
		s.signal(unix.SIGUSR1)
		if got := s.line(`^got `, len(sigs)+1); got != "got SIGUSR1" {
			t.Errorf("after SIGPIPE and SIGUSR1, the app got %q", got)
		}
	})
	for _, sig := range []syscall.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGQUIT, unix.SIGHUP} {
		t.Run(unix.SignalName(sig)+" stops the supervisor with the app", func(t *testing.T) {
			t.Parallel()
			s := startSup(t, supOptions{args: []string{"--exit-policy=continue"}, appFlags: []string{"-signals"}})
			s.line(`^start`, 1)
			s.signal(sig)
			s.line(`^got `+unix.SignalName(sig), 1)
			if code := s.wait(); code != 7 {
				t.Errorf("exit code %d, want 7 (the app's)", code)
			}
		})
	}
	t.Run("docker stop: SIGTERM to an app that dies of it", func(t *testing.T) {
		t.Parallel()
		s := startSup(t, supOptions{app: []string{"sh", "-c", "echo start pid=$$; exec sleep 1000"}})
		s.line(`^start`, 1)
		s.signal(unix.SIGTERM)
		if code := s.wait(); code != 143 {
			t.Errorf("exit code %d, want 143", code)
		}
	})
}

func TestStopDuringRestart(t *testing.T) {
	t.Parallel()
	s := startSup(t, supOptions{args: []string{"--stop-timeout=2s"}, appFlags: []string{"-ignore-term"}})
	s.line(`^start`, 1)
	s.write("go")
	s.logged("restart requested")
	s.signal(unix.SIGTERM)
	if code := s.wait(); code != 137 {
		t.Errorf("exit code %d, want 137 (the old app, killed after the timeout)", code)
	}
	s.logged("received SIGTERM during restart: not starting the app again")
	if n := s.count(`^start`); n != 1 {
		t.Errorf("%d generations started, want 1", n)
	}
}

func TestWatchDebounce(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := startSup(t, supOptions{args: []string{"--watch=" + root}})
	s.gen(1)
	// Tilt syncs with one tar -x: 50 files in new nested directories.
	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	for i := 0; i < 50; i++ {
		name := "src/pkg" + strconv.Itoa(i/10) + "/sub/file" + strconv.Itoa(i) + ".go"
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
		tw.Write([]byte("go\n"))
	}
	tw.Close()
	untar := exec.Command("tar", "-C", root, "-x", "-f", "-")
	untar.Stdin = &archive
	begin := time.Now()
	if out, err := untar.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	took := time.Since(begin)
	s.gen(2)
	s.marker("marker")
	s.line(`trigger=marker`, 1)
	s.logged(" changes under " + root)
	// One burst, one restart; unless the machine is so loaded that tar
	// itself paused longer than the quiet window (100ms) in mid-burst.
	if took < 100*time.Millisecond {
		if n := s.logCount("restart requested: watch: "); n != 1 {
			t.Errorf("%d watch restarts, want 1:\n%s", n, s.logs())
		}
		if n := s.logCount("restart requested: "); n != 2 {
			t.Errorf("%d restarts, want 2 (the sync's and the marker's):\n%s", n, s.logs())
		}
	} else {
		t.Logf("tar took %v, more than the quiet window: not checking it made one restart", took)
	}
	// The new directories are watched.
	gens := s.count(`^start `)
	testfs.WriteFile(t, filepath.Join(root, "src", "pkg4", "sub", "file49.go"), []byte("changed\n"), 0o644)
	s.gen(gens + 1)
}

// RESTART_DEBOUNCE reaches the watcher: a change waits that long.
func TestDebounceFromTheEnvironment(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := startSup(t, supOptions{args: []string{"--watch=" + root}, env: []string{"RESTART_DEBOUNCE=1500ms"}})
	s.gen(1)
	begin := time.Now()
	testfs.WriteFile(t, filepath.Join(root, "f"), []byte("x"), 0o644)
	time.Sleep(time.Second)
	if n := s.count(`^start `); n != 1 {
		t.Errorf("restarted within %v of a change, before the 1.5s debounce:\n%s", time.Since(begin), s.logs())
	}
	s.gen(2)
	s.logged("watch: 1 change under " + root)
}

func TestPolling(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := startSup(t, supOptions{args: []string{"--poll=50ms", "--watch=" + root}})
	s.gen(1)
	s.write("polled")
	s.gen(2)
	testfs.WriteFile(t, filepath.Join(root, "f"), []byte("x"), 0o644)
	s.gen(3)
	s.logged("watch: 1 change under " + root)
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	envTrigger := filepath.Join(dir, "env-trigger")
	s := startSup(t, supOptions{
		args:     []string{"--exit-policy=exit"},
		appFlags: []string{"-exit", "3", "-print-env", "-ignore-term"},
		env: []string{
			"RESTART_TRIGGER=" + envTrigger, "RESTART_EXIT_POLICY=continue", "RESTART_STOP_SIGNAL=SIGINT",
			"RESTART_STOP_TIMEOUT=1s", "RESTART_QUIET=true", "RESTART_POLL=0", "RESTART_WATCH=",
		},
	})
	s.line(`^env `, 1)
	// Exit policy continue from the environment: it waits (quietly).
	if _, err := os.Stat(envTrigger); err != nil {
		t.Fatalf("the trigger of RESTART_TRIGGER was not created: %v", err)
	}
	testfs.WriteFile(t, envTrigger, []byte("x"), 0o666)
	s.line(`^env `, 2)
	if strings.Contains(s.line(`^env `, 1), "RESTART_") {
		t.Errorf("RESTART_* reached the app: %s", s.line(`^env `, 1))
	}
	// The app ignores SIGTERM: whether it still runs or already exited,
	// the supervisor exits with its code.
	s.signal(unix.SIGTERM)
	if code := s.wait(); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	if logs := s.logs(); logs != "" {
		t.Errorf("RESTART_QUIET=true, yet:\n%s", logs)
	}
}

func TestRestartSubcommand(t *testing.T) {
	t.Run("a missing trigger is created 0666", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "trigger")
		cmd := exec.Command("sh", "-c", `umask 077; exec "$0" restart`, supervisor)
		cmd.Env = append(os.Environ(), "RESTART_TRIGGER="+p)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != 0o666 || st.Size() == 0 {
			t.Errorf("trigger: %v, %v", st, err)
		}
	})
	t.Run("permission denied says who and where", func(t *testing.T) {
		requireRoot(t)
		t.Parallel()
		dir := t.TempDir()
		testfs.Chmod(t, dir, 0o755)
		testfs.Chmod(t, filepath.Dir(dir), 0o755)
		p := filepath.Join(dir, "trigger")
		testfs.WriteFile(t, p, nil, 0o644)
		cmd := exec.Command(supervisor, "restart", "--trigger="+p)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("exit: %v", err)
		}
		for _, want := range []string{"cannot write the trigger " + p + " (from --trigger) as uid 65534 (gid 65534): permission denied", "must be writable"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("output lacks %q: %s", want, out)
			}
		}
	})
	t.Run("an existing file is written without O_CREAT", func(t *testing.T) {
		requireRoot(t)
		t.Parallel()
		// fs.protected_regular refuses O_CREAT opens of another user's file
		// in a sticky world-writable directory, even if it is writable.
		dir := t.TempDir()
		testfs.Chmod(t, dir, 0o1777)
		testfs.Chmod(t, filepath.Dir(dir), 0o755)
		p := filepath.Join(dir, "trigger")
		testfs.WriteFile(t, p, nil, 0o666)
		testfs.Chmod(t, p, 0o666)
		cmd := exec.Command(supervisor, "restart", "--trigger="+p)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		t.Parallel()
		out, err := exec.Command(supervisor, "restart", "now").CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), `unknown argument "now" to restart`) {
			t.Errorf("%v: %s", err, out)
		}
	})
	t.Run("inside a container it finds PID 1's trigger", func(t *testing.T) {
		wrap := pidNamespace(t)
		t.Parallel()
		custom := filepath.Join(t.TempDir(), "custom-trigger")
		// The app's environment has no RESTART_TRIGGER (it is removed): the
		// subcommand must read PID 1's command line.
		s := startSup(t, supOptions{wrap: wrap, trigger: custom, appFlags: []string{"-restart-once", supervisor}})
		// Generation 1 runs `supervisor restart` (and is restarted before it
		// can report on it).
		s.line(`^start`, 2)
		s.logged("restart requested: trigger " + custom + " changed")
	})
}

func TestDockerExecIsSpared(t *testing.T) {
	wrap := pidNamespace(t)
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("no nsenter")
	}
	t.Parallel()
	s := startSup(t, supOptions{wrap: wrap, app: []string{"sh", "-c", "echo start pid=$$; sleep 1000 & exec sleep 1000"}})
	s.line(`^start`, 1)
	// The supervisor's pid in the host's namespace: unshare's child (setsid
	// execs in place).
	host := childOf(t, s.cmd.Process.Pid)
	// docker exec: a process entered from outside, and an orphan of an exec
	// session whose leader still runs.
	enter := func(script string) *exec.Cmd {
		cmd := exec.Command("nsenter", "--target", strconv.Itoa(host), "--pid", "--mount", "--", "sh", "-c", script)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		buf := make([]byte, 64)
		n, _ := out.Read(buf) // wait until it runs
		_ = n
		return cmd
	}
	enter("echo ready; exec sleep 1003")
	enter(`sh -c "sleep 1001 & echo ready"; exec sleep 1002`)
	var before map[string]int
	deadline := time.Now().Add(hangGuard)
	for {
		before = namespacePids(t, host)
		if before["sleep 1000"] == 2 && before["sleep 1001"] == 1 && before["sleep 1002"] == 1 && before["sleep 1003"] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exec'd processes do not show up: %v", before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.write("go")
	s.line(`^start`, 2)
	// The exec'd processes were not stopped: the new generation started
	// after the old was gone, and they are still there next to it.
	after := namespacePids(t, host)
	if after["sleep 1001"] != 1 || after["sleep 1002"] != 1 || after["sleep 1003"] != 1 {
		t.Errorf("exec'd processes did not survive the restart: before %v, after %v", before, after)
	}
}

// childOf returns the only child of pid.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
		if err == nil {
			if f := strings.Fields(string(b)); len(f) == 1 {
				c, _ := strconv.Atoi(f[0])
				return c
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no single child of %d", pid)
	return 0
}

// namespacePids counts the command lines of the processes in the PID
// namespace of pid (seen from the host).
func namespacePids(t *testing.T, pid int) map[string]int {
	t.Helper()
	ns, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if l, _ := os.Readlink("/proc/" + e.Name() + "/ns/pid"); l != ns {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		count[strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))]++
	}
	return count
}

func sh(t *testing.T, script string) {
	t.Helper()
	if out, err := exec.Command("sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", script, err, out)
	}
}

func TestTerminal(t *testing.T) {
	t.Parallel()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	trig := filepath.Join(t.TempDir(), "trigger")
	// docker run -it: the supervisor leads a session whose controlling
	// terminal is its stdin.
	cmd := exec.Command(supervisor, "--trigger="+trig, "--exit-policy=continue", "--", app, "-tty")
	cmd.Env = append(os.Environ(), helperEnv+"=app")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	exited := make(chan int, 1)
	go func() {
		cmd.Wait()
		exited <- cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })

	var mu sync.Mutex
	var out strings.Builder
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	waitOut := func(what string, count int) string {
		t.Helper()
		deadline := time.Now().Add(hangGuard)
		for {
			mu.Lock()
			s := out.String()
			mu.Unlock()
			if strings.Count(s, what) >= count {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %d× %q in the terminal:\n%s", count, what, s)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	fgRE := regexp.MustCompile(`tty fg=(\d+) pgrp=(\d+) err=<nil>`)
	checkForeground := func(n int) {
		t.Helper()
		s := waitOut("tty fg=", n)
		m := fgRE.FindAllStringSubmatch(s, -1)
		if len(m) < n || m[n-1][1] != m[n-1][2] {
			t.Fatalf("generation %d is not the terminal's foreground process group:\n%s", n, s)
		}
	}
	checkForeground(1)
	testfs.WriteFile(t, trig, []byte("go"), 0o666)
	checkForeground(2) // a restart hands the terminal over

	master.Write([]byte{3}) // Ctrl-C reaches the app...
	waitOut("got SIGINT", 1)
	waitOut("waiting for a trigger", 1)
	master.Write([]byte{3}) // ...and, while no app runs, the supervisor
	select {
	case code := <-exited:
		if code != 130 {
			t.Errorf("exit code %d, want 130 (the app's)", code)
		}
	case <-time.After(hangGuard):
		t.Fatalf("the supervisor did not exit on Ctrl-C:\n%s", waitOut("", 0))
	}
	waitOut("received SIGINT: exiting", 1)
}

package supervisor

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// fakeRunner stands in for processes: it records what the lifecycle asks
// for, and the test decides when processes exit.
type fakeRunner struct {
	calls     []string
	next      int
	members   map[int]bool // processes of the current generation
	startErr  error
	startCode int
	timer     time.Duration
	terminal  int
	clock     time.Duration
	reports   []status
}

func newFake() *fakeRunner { return &fakeRunner{next: 100, members: map[int]bool{}} }

func (f *fakeRunner) start() (int, int, error) {
	if f.startErr != nil {
		f.calls = append(f.calls, "start failed")
		return 0, f.startCode, f.startErr
	}
	f.next++
	f.members[f.next] = true
	f.calls = append(f.calls, "start "+itoa(f.next))
	return f.next, 0, nil
}

func (f *fakeRunner) forward(_ leader, sig syscall.Signal) {
	f.calls = append(f.calls, "forward "+options.SignalName(sig))
}

func (f *fakeRunner) stop(_ leader, sig syscall.Signal) int {
	f.calls = append(f.calls, "stop "+options.SignalName(sig))
	return len(f.members)
}

func (f *fakeRunner) kill(leader) int {
	f.calls = append(f.calls, "kill")
	return len(f.members)
}

func (f *fakeRunner) alive() bool { return len(f.members) > 0 }

func (f *fakeRunner) setTimer(d time.Duration) {
	if d != f.timer {
		f.calls = append(f.calls, "timer "+d.String())
	}
	f.timer = d
}

func (f *fakeRunner) takeTerminal()      { f.terminal++ }
func (f *fakeRunner) report(s status)    { f.reports = append(f.reports, s) }
func (f *fakeRunner) now() time.Duration { f.clock += time.Millisecond; return f.clock }

// spawnMember adds a process of the generation that is not the leader.
func (f *fakeRunner) spawnMember() int {
	f.next++
	f.members[f.next] = true
	return f.next
}

// exit makes processes exit and tells the lifecycle, as the reaper would.
func (f *fakeRunner) exit(l *lifecycle, st exitStatus, pids ...int) {
	statuses := make([]exitStatus, len(pids))
	for i, pid := range pids {
		delete(f.members, pid)
		statuses[i] = st
	}
	l.exited(pids, statuses)
}

// take returns and clears the recorded calls.
func (f *fakeRunner) take() []string {
	c := f.calls
	f.calls = nil
	return c
}

func newTestLifecycle(t *testing.T, f *fakeRunner, opts ...func(*options.Config)) (*lifecycle, *bytes.Buffer) {
	t.Helper()
	cfg := options.DefaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	var logs bytes.Buffer
	l := newLifecycle(cfg, f, newLogger(&logs, false))
	l.start()
	return l, &logs
}

func continuePolicy(c *options.Config) { c.ExitPolicy = options.ExitPolicyContinue }

var (
	byTERM = exitStatus{signal: syscall.SIGTERM}
	byKILL = exitStatus{signal: syscall.SIGKILL}
)

func expectCalls(t *testing.T, f *fakeRunner, want ...string) {
	t.Helper()
	if got := f.take(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("calls:\n got %q\nwant %q", got, want)
	}
}

func expectState(t *testing.T, l *lifecycle, want state) {
	t.Helper()
	if l.state != want {
		t.Errorf("state %v, want %v", l.state, want)
	}
}

func TestLifecycle(t *testing.T) {
	t.Run("a trigger stops the generation and starts the next once it is gone", func(t *testing.T) {
		f := newFake()
		l, logs := newTestLifecycle(t, f)
		expectCalls(t, f, "start 101")
		l.trigger("trigger /t changed (write)")
		expectCalls(t, f, "stop SIGTERM", "timer 5s")
		expectState(t, l, stopping)
		f.exit(l, byTERM, 101)
		expectCalls(t, f, "timer 0s", "start 102")
		expectState(t, l, running)
		for _, want := range []string{"restart requested: trigger /t changed (write)", "stopped pid 101 in "} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("logs lack %q:\n%s", want, logs)
			}
		}
	})

	t.Run("triggers during a restart join it", func(t *testing.T) {
		f := newFake()
		l, logs := newTestLifecycle(t, f)
		f.take()
		l.trigger("one")
		l.trigger("two")
		l.trigger("three")
		expectCalls(t, f, "stop SIGTERM", "timer 5s")
		f.exit(l, byTERM, 101)
		expectCalls(t, f, "timer 0s", "start 102")
		if n := strings.Count(logs.String(), "restart already in progress"); n != 2 {
			t.Errorf("%d coalesced triggers logged, want 2:\n%s", n, logs)
		}
	})

	t.Run("the stop timeout escalates to SIGKILL", func(t *testing.T) {
		f := newFake()
		l, logs := newTestLifecycle(t, f, func(c *options.Config) { c.StopTimeout = 300 * time.Millisecond })
		f.take()
		l.trigger("t")
		expectCalls(t, f, "stop SIGTERM", "timer 300ms")
		l.timeout()
		expectCalls(t, f, "kill")
		l.timeout() // a late duplicate changes nothing
		expectCalls(t, f)
		f.exit(l, byKILL, 101)
		expectCalls(t, f, "timer 0s", "start 102")
		if !strings.Contains(logs.String(), "killed 1 processes after 300ms stop timeout") {
			t.Errorf("logs:\n%s", logs)
		}
	})

	t.Run("the next generation waits for every process of the last", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f)
		daemon := f.spawnMember()
		f.take()
		l.trigger("t")
		expectCalls(t, f, "stop SIGTERM", "timer 5s")
		f.exit(l, byTERM, 101)
		expectCalls(t, f)
		expectState(t, l, stopping)
		l.timeout()
		expectCalls(t, f, "kill")
		f.exit(l, byKILL, daemon)
		expectCalls(t, f, "timer 0s", "start 103")
	})

	t.Run("a stop timeout of 0 kills at once", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f, func(c *options.Config) { c.StopTimeout = 0 })
		f.take()
		l.trigger("t")
		expectCalls(t, f, "kill")
		f.exit(l, byKILL, 101)
		expectCalls(t, f, "start 102")
	})

	t.Run("the configured stop signal is used", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f, func(c *options.Config) { c.StopSignal = 3 })
		f.take()
		l.trigger("t")
		expectCalls(t, f, "stop SIGQUIT", "timer 5s")
	})

	t.Run("a terminating signal is forwarded and the supervisor exits with the app", func(t *testing.T) {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP} {
			f := newFake()
			l, _ := newTestLifecycle(t, f, continuePolicy)
			f.take()
			l.signal(sig)
			expectCalls(t, f, "forward "+options.SignalName(sig))
			l.trigger("ignored while exiting")
			expectCalls(t, f)
			f.exit(l, exitStatus{signal: sig}, 101)
			if !l.done() || l.code != 128+int(sig) {
				t.Errorf("%s: done %v code %d", options.SignalName(sig), l.done(), l.code)
			}
		}
	})

	t.Run("the stop signal also terminates", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f, continuePolicy, func(c *options.Config) { c.StopSignal = 28 }) // SIGWINCH, as httpd
		l.signal(28)
		f.exit(l, exitStatus{code: 0}, 101)
		if !l.done() || l.code != 0 {
			t.Errorf("done %v code %d", l.done(), l.code)
		}
	})

	t.Run("other signals are forwarded only", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f, continuePolicy)
		f.take()
		l.signal(10)
		l.signal(28)
		expectCalls(t, f, "forward SIGUSR1", "forward SIGWINCH")
		f.exit(l, exitStatus{code: 1}, 101)
		expectState(t, l, idle)
		l.signal(10) // no app: nothing to forward to
		expectCalls(t, f)
	})

	t.Run("a terminating signal during a restart cancels the new generation", func(t *testing.T) {
		f := newFake()
		l, logs := newTestLifecycle(t, f, continuePolicy)
		f.take()
		l.trigger("t")
		l.signal(syscall.SIGTERM)
		expectCalls(t, f, "stop SIGTERM", "timer 5s", "forward SIGTERM")
		f.exit(l, byTERM, 101)
		expectCalls(t, f, "timer 0s")
		if !l.done() || l.code != 143 {
			t.Errorf("done %v code %d", l.done(), l.code)
		}
		if !strings.Contains(logs.String(), "during restart: not starting the app again") {
			t.Errorf("logs:\n%s", logs)
		}
	})

	t.Run("exit policy exit returns the app's code", func(t *testing.T) {
		for _, st := range []exitStatus{{code: 0}, {code: 3}, {signal: 9}, {signal: 11}} {
			f := newFake()
			l, _ := newTestLifecycle(t, f)
			f.exit(l, st, 101)
			if !l.done() || l.code != st.exitCode() {
				t.Errorf("%v: done %v code %d", st, l.done(), l.code)
			}
		}
	})

	t.Run("exit policy exit kills what the app left", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f)
		f.spawnMember()
		f.take()
		f.exit(l, exitStatus{code: 4}, 101)
		expectCalls(t, f, "kill")
		if !l.done() || l.code != 4 {
			t.Errorf("done %v code %d", l.done(), l.code)
		}
	})

	t.Run("exit policy continue waits for a trigger", func(t *testing.T) {
		f := newFake()
		l, logs := newTestLifecycle(t, f, continuePolicy)
		f.take()
		f.exit(l, exitStatus{code: 3}, 101)
		expectState(t, l, idle)
		if f.terminal != 1 {
			t.Errorf("the terminal was taken back %d times, want 1", f.terminal)
		}
		l.trigger("t")
		expectCalls(t, f, "start 102")
		expectState(t, l, running)
		for _, want := range []string{"pid 101 exited with code 3", "waiting for a trigger (exit policy continue)"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("logs lack %q:\n%s", want, logs)
			}
		}
	})

	t.Run("exit policy continue stops leftovers before the next start", func(t *testing.T) {
		f := newFake()
		l, logs := newTestLifecycle(t, f, continuePolicy)
		left := f.spawnMember()
		f.exit(l, exitStatus{code: 1}, 101)
		f.take()
		l.trigger("t")
		expectCalls(t, f, "stop SIGTERM", "timer 5s")
		f.exit(l, byTERM, left)
		expectCalls(t, f, "timer 0s", "start 103")
		if !strings.Contains(logs.String(), "stopped the processes left by the last run") {
			t.Errorf("logs:\n%s", logs)
		}
	})

	t.Run("a terminating signal while idle exits with the last code", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f, continuePolicy)
		f.exit(l, exitStatus{code: 5}, 101)
		l.signal(syscall.SIGTERM)
		if !l.done() || l.code != 5 {
			t.Errorf("done %v code %d", l.done(), l.code)
		}
	})

	t.Run("exec failures exit with their code under exit policy exit", func(t *testing.T) {
		f := newFake()
		f.startErr, f.startCode = errors.New("cannot run x: not found"), 127
		l, logs := newTestLifecycle(t, f)
		if !l.done() || l.code != 127 {
			t.Errorf("done %v code %d", l.done(), l.code)
		}
		if !strings.Contains(logs.String(), "cannot run x: not found") {
			t.Errorf("logs:\n%s", logs)
		}
	})

	t.Run("exec failures wait for a trigger under exit policy continue", func(t *testing.T) {
		f := newFake()
		f.startErr, f.startCode = errors.New("cannot run x: permission denied"), 126
		l, _ := newTestLifecycle(t, f, continuePolicy)
		expectState(t, l, idle)
		f.startErr = nil
		f.take()
		l.trigger("t")
		expectCalls(t, f, "start 101")
		expectState(t, l, running)
	})

	t.Run("orphans and strays are reaped without effect", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f)
		f.take()
		l.exited([]int{7, 8}, []exitStatus{{code: 1}, {signal: 9}})
		l.timeout()
		expectCalls(t, f)
		expectState(t, l, running)
	})
}

func TestLifecycleReports(t *testing.T) {
	t.Run("a restart reports the new generation with the newest request", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f)
		l.request(5)
		l.trigger("trigger")
		l.request(7) // a second request joins the restart in flight
		l.trigger("trigger")
		f.exit(l, byTERM, 101)
		want := []status{
			{gen: 1, started: true, pid: 101},
			{gen: 2, req: 7, started: true, pid: 102, oldPid: 101, stopped: time.Millisecond},
		}
		if !reflect.DeepEqual(f.reports, want) {
			t.Errorf("reports:\n got %+v\nwant %+v", f.reports, want)
		}
	})
	t.Run("an app that exits by itself is reported with its code", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f, continuePolicy)
		f.exit(l, exitStatus{signal: syscall.SIGSEGV}, 101)
		if got := f.reports[len(f.reports)-1]; got.started || got.gen != 1 || got.code != 139 || got.pid != 101 || !strings.Contains(got.msg, "SIGSEGV") {
			t.Errorf("report %+v", got)
		}
	})
	t.Run("an app that cannot start is reported with 126 or 127", func(t *testing.T) {
		f := newFake()
		l, _ := newTestLifecycle(t, f, continuePolicy)
		f.exit(l, exitStatus{code: 1}, 101)
		f.startErr, f.startCode = errors.New("cannot run /app: no such file or directory"), 127
		l.request(9)
		l.trigger("trigger")
		if got := f.reports[len(f.reports)-1]; got.started || got.gen != 2 || got.req != 9 || got.code != 127 || got.msg != f.startErr.Error() {
			t.Errorf("report %+v", got)
		}
	})
	t.Run("an older request does not lower the stamp", func(t *testing.T) {
		l, _ := newTestLifecycle(t, newFake())
		l.request(9)
		l.request(3)
		if l.req != 9 {
			t.Errorf("req %d, want 9", l.req)
		}
	})
}

func TestStatusLines(t *testing.T) {
	for _, s := range []status{
		{gen: 3, req: 1700000000123456789, started: true, pid: 42, oldPid: 41, stopped: 12 * time.Millisecond},
		{gen: 4, req: 0, pid: 43, code: 143, msg: "killed by signal SIGTERM (exit code 143)"},
		{gen: 1, code: 127, msg: "cannot run x: a b=c msg= gen=9"},
	} {
		line := strings.TrimSuffix(string(s.encode()), "\n")
		got, ok := parseStatus(line)
		if !ok || got != s {
			t.Errorf("parseStatus(%q) = %+v, %v; want %+v", line, got, ok, s)
		}
	}
	for _, bad := range []string{"", "gen=1", "gen=x req=0 state=started pid=1 code=0 oldpid=0 stopped=0 msg=", "req=0 gen=1"} {
		if s, ok := parseStatus(bad); ok {
			t.Errorf("parseStatus(%q) = %+v, want false", bad, s)
		}
	}
	now := time.Unix(1800000000, 0)
	for content, want := range map[string]int64{
		"1700000000123456789\n":                       1700000000123456789,
		"1700000000123456789\n 1 00:00:00 UTC 2026\n": 1700000000123456789,
		"Tue Dec  1 00:00:00 UTC 2026\n":              0,
		"":                                            0,
		"-5":                                          0,
		"1800000000000000001\n":                       1800000000000000001, // within the allowance: a clock stepped back
		"1800000010000000001\n":                       0,                   // from the future: not restart's
		"9223372036854775807\n":                       0,
	} {
		if got := requestOf([]byte(content), now); got != want {
			t.Errorf("requestOf(%q) = %d, want %d", content, got, want)
		}
	}
}

// TestLifecycleStates runs event sequences through the lifecycle, its
// actions included, and checks the state each ends in.
func TestLifecycleStates(t *testing.T) {
	var (
		trigger   = func(l *lifecycle, f *fakeRunner) { l.trigger("t") }
		leaderEnd = func(l *lifecycle, f *fakeRunner) { f.exit(l, byTERM, l.leader.pid) }
		daemon    = func(l *lifecycle, f *fakeRunner) { f.spawnMember() }
		allEnd    = func(l *lifecycle, f *fakeRunner) {
			for pid := range f.members {
				f.exit(l, byKILL, pid)
			}
		}
		timeout = func(l *lifecycle, f *fakeRunner) { l.timeout() }
		term    = func(l *lifecycle, f *fakeRunner) { l.signal(syscall.SIGTERM) }
		usr1    = func(l *lifecycle, f *fakeRunner) { l.signal(syscall.SIGUSR1) }
		noKill  = func(c *options.Config) { c.StopTimeout = 0 }
	)
	for _, tc := range []struct {
		name  string
		opts  []func(*options.Config)
		steps []func(*lifecycle, *fakeRunner)
		want  state
	}{
		{"started", nil, nil, running},
		{"trigger", nil, steps(trigger), stopping},
		{"trigger, leader gone", nil, steps(trigger, leaderEnd), running},
		{"trigger, daemon left", nil, steps(daemon, trigger, leaderEnd), stopping},
		{"trigger, timeout", nil, steps(daemon, trigger, timeout), killing},
		{"trigger, timeout, all gone", nil, steps(daemon, trigger, timeout, allEnd), running},
		{"stop timeout 0", []func(*options.Config){noKill}, steps(daemon, trigger), killing},
		{"trigger, terminate", nil, steps(trigger, term), stoppingToExit},
		{"trigger, terminate, gone", nil, steps(trigger, term, leaderEnd), done},
		{"trigger, timeout, terminate", nil, steps(daemon, trigger, timeout, term), killingToExit},
		{"trigger, terminate, timeout", nil, steps(daemon, trigger, term, timeout), killingToExit},
		{"terminate", nil, steps(term), exiting},
		{"terminate, trigger", nil, steps(term, trigger), exiting},
		{"terminate, leader exit", nil, steps(term, leaderEnd), done},
		{"other signal", nil, steps(usr1), running},
		{"leader exit", nil, steps(leaderEnd), done},
		{"leader exit, continue", []func(*options.Config){continuePolicy}, steps(leaderEnd), idle},
		{"idle, trigger", []func(*options.Config){continuePolicy}, steps(leaderEnd, trigger), running},
		{"idle with leftovers, trigger", []func(*options.Config){continuePolicy}, steps(daemon, leaderEnd, trigger), stopping},
		{"idle, terminate", []func(*options.Config){continuePolicy}, steps(leaderEnd, term), done},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			l, _ := newTestLifecycle(t, f, tc.opts...)
			for _, step := range tc.steps {
				step(l, f)
			}
			expectState(t, l, tc.want)
		})
	}
}

func steps(s ...func(*lifecycle, *fakeRunner)) []func(*lifecycle, *fakeRunner) { return s }

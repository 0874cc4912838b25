package supervisor

import (
	"syscall"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// runner is the seam between the lifecycle state machine and the operating
// system. The real implementation (procs_linux.go) spawns and signals
// processes; lifecycle_test.go uses a fake one.
type runner interface {
	// start spawns a new generation and returns its leader's pid. On failure
	// it returns the exit code the failure maps to (126 or 127) and an error
	// that explains it.
	start() (pid int, code int, err error)
	// forward sends sig to the process group of the running leader.
	forward(sig syscall.Signal)
	// stop sends sig to every process of the current generation (the leader's
	// group and the processes that left it) and returns how many it found.
	stop(sig syscall.Signal) int
	// kill sends SIGKILL to every process of the current generation and
	// returns how many it found (-1 when it cannot tell).
	kill() int
	// alive reports whether any process of the current generation is left,
	// zombies included.
	alive() bool
	// setTimer arms the stop timeout timer; 0 disarms it.
	setTimer(d time.Duration)
	// takeTerminal makes the supervisor the terminal's foreground process
	// group again, so that Ctrl-C reaches it while no app runs.
	takeTerminal()
	// now reads a monotonic clock. (A time.Time in this interface would
	// link time formatting into the binary.)
	now() time.Duration
	// report tells the waiting `restart --wait` commands (status.go).
	report(s status)
}

type state int

const (
	stateRunning  state = iota // the leader runs
	stateStopping              // stopping a generation, to restart or to exit
	stateIdle                  // no leader: waiting for a trigger (exit policy continue)
	stateDone                  // the supervisor exits with lifecycle.code
)

// lifecycle is the supervisor's state machine. The event loop feeds it
// triggers, reaped processes, signals and timeouts, one at a time.
type lifecycle struct {
	cfg options.Config
	r   runner
	log *logger

	state     state
	leader    int        // pid of the current generation's leader, 0 if none
	leaderUp  bool       // the leader has not been reaped yet
	last      exitStatus // how the last leader ended
	exiting   bool       // a terminating signal arrived: exit once the app is gone
	restart   bool       // stopping: start a new generation afterwards
	killed    bool       // stopping: SIGKILL was sent
	stopBegan time.Duration
	code      int // exit code once state == stateDone

	gen     int           // the number of the current (or last) generation
	req     int64         // the newest restart request seen (status.go)
	prevPid int           // the leader stopped for this restart, for the report
	stopped time.Duration // how long it took to stop, for the report
}

func newLifecycle(cfg options.Config, r runner, log *logger) *lifecycle {
	return &lifecycle{cfg: cfg, r: r, log: log}
}

func (l *lifecycle) done() bool { return l.state == stateDone }

// start spawns a new generation.
func (l *lifecycle) start() {
	l.gen++
	pid, code, err := l.r.start()
	if err != nil {
		l.log.error(err.Error())
		l.last = exitStatus{code: code}
		l.leader, l.leaderUp = 0, false
		l.r.report(status{gen: l.gen, req: l.req, code: code, msg: err.Error()})
		l.afterExit()
		return
	}
	l.leader, l.leaderUp = pid, true
	l.state = stateRunning
	l.r.report(status{gen: l.gen, req: l.req, started: true, pid: pid, oldPid: l.prevPid, stopped: l.stopped})
}

// request records the stamp of a restart request (status.go) before the
// trigger it came with is handled.
func (l *lifecycle) request(req int64) {
	l.req = max(l.req, req)
}

// trigger handles a restart request.
func (l *lifecycle) trigger(reason string) {
	switch l.state {
	case stateRunning:
		if l.exiting {
			l.log.event("ignoring restart request while exiting: ", reason)
			return
		}
		l.log.event("restart requested: ", reason)
		l.beginStop(true)
	case stateIdle:
		l.log.event("restart requested: ", reason)
		if l.r.alive() {
			l.beginStop(true) // leftovers of the last generation go first
			return
		}
		l.start()
	case stateStopping:
		if l.restart {
			l.log.event("restart already in progress: ", reason)
		}
	}
}

// beginStop stops the current generation, then restarts or exits.
func (l *lifecycle) beginStop(restart bool) {
	l.state = stateStopping
	l.restart = restart
	l.killed = false
	l.stopBegan = l.r.now()
	switch {
	case l.cfg.StopTimeout <= 0:
		l.killAll("at once (stop timeout 0)")
	case l.cfg.StopSignal == syscall.SIGKILL:
		l.killAll("")
	default:
		l.r.stop(l.cfg.StopSignal)
		l.r.setTimer(l.cfg.StopTimeout)
	}
	l.checkStopped()
}

// killAll sends SIGKILL to the generation.
func (l *lifecycle) killAll(why string) {
	l.killed = true
	n := l.r.kill()
	if why != "" && n != 0 {
		count := "processes"
		if n > 0 {
			count = itoa(n) + " processes"
		}
		l.log.event("killed ", count, " ", why)
	}
}

// timeout handles the expiry of the stop timeout.
func (l *lifecycle) timeout() {
	if l.state != stateStopping || l.killed {
		return
	}
	l.killAll("after " + l.cfg.StopTimeout.String() + " stop timeout")
	l.checkStopped()
}

// exited handles processes reaped by the event loop.
func (l *lifecycle) exited(pids []int, statuses []exitStatus) {
	for i, pid := range pids {
		if pid != l.leader || !l.leaderUp {
			continue // an orphan, or a process of an old generation
		}
		l.leaderUp = false
		l.last = statuses[i]
		if l.state == stateRunning {
			l.log.event("pid ", itoa(pid), " ", l.last.String())
			l.r.report(status{gen: l.gen, req: l.req, pid: pid, code: l.last.exitCode(), msg: l.last.String()})
			l.afterExit()
		}
	}
	if l.state == stateStopping {
		l.checkStopped()
	}
}

// afterExit decides what follows an app that ended by itself (or failed to
// start).
func (l *lifecycle) afterExit() {
	if l.exiting || l.cfg.ExitPolicy != options.ExitPolicyContinue {
		l.finish()
		return
	}
	l.state = stateIdle
	l.leader = 0
	l.r.takeTerminal()
	l.log.event("waiting for a trigger (exit policy continue)")
}

// checkStopped completes a stop once no process of the generation is left.
func (l *lifecycle) checkStopped() {
	if l.leaderUp || l.r.alive() {
		return
	}
	l.r.setTimer(0)
	l.prevPid, l.stopped = l.leader, l.r.now()-l.stopBegan
	took := formatDuration(l.stopped)
	if l.leader != 0 {
		l.log.event("stopped pid ", itoa(l.leader), " in ", took)
	} else {
		l.log.event("stopped the processes left by the last run in ", took)
	}
	if l.restart && !l.exiting {
		l.start()
		return
	}
	l.finish()
}

// signal handles a caught signal: it is forwarded to the app, and a
// terminating one makes the supervisor exit once the app is gone.
func (l *lifecycle) signal(sig syscall.Signal) {
	term := isTerminating(sig, l.cfg.StopSignal)
	if l.leaderUp {
		l.r.forward(sig)
	}
	if !term || l.exiting {
		return
	}
	l.exiting = true
	switch l.state {
	case stateRunning:
		l.log.event("received ", options.SignalName(sig), ": exiting when pid ", itoa(l.leader), " exits")
	case stateStopping:
		l.log.event("received ", options.SignalName(sig), " during restart: not starting the app again")
		l.restart = false
	case stateIdle:
		l.log.event("received ", options.SignalName(sig), ": exiting")
		l.finish()
	}
}

// isTerminating reports whether sig makes the supervisor exit after the app.
func isTerminating(sig, stopSignal syscall.Signal) bool {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP:
		return true
	}
	return sig == stopSignal
}

// finish makes the supervisor exit with the last app's exit code. Leftover
// processes of the generation get SIGKILL, as the kernel would do to a PID
// namespace whose init exits.
func (l *lifecycle) finish() {
	l.r.setTimer(0)
	if l.r.alive() {
		l.r.kill()
	}
	l.state = stateDone
	l.code = l.last.exitCode()
}

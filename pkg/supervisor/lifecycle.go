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
	forward(ld leader, sig syscall.Signal)
	// stop sends sig to every process of the current generation (the leader's
	// group and the processes that left it) and returns how many it found.
	stop(ld leader, sig syscall.Signal) int
	// kill sends SIGKILL to every process of the current generation and
	// returns how many it found (-1 when it cannot tell).
	kill(ld leader) int
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

// leader is the current generation's leader. The lifecycle alone tracks it,
// and hands it to the runner, which signals its process group.
type leader struct {
	pid int  // its pid, which is its group id; kept once reaped, for its group; 0 if none yet
	up  bool // not reaped yet: its pid, hence its group id, cannot be reused
}

// state is where the lifecycle stands. The names are those of doc.go's
// state table, which TestDocStateTable checks against next.
type state uint8

const (
	running        state = iota // the leader runs
	exiting                     // a terminating signal came: exit when the leader exits
	stopping                    // the stop signal was sent: restart once the generation is gone
	killing                     // SIGKILL was sent: restart once the generation is gone
	stoppingToExit              // the stop signal was sent, then a terminating signal came: exit once gone
	killingToExit               // SIGKILL was sent, and a terminating signal came: exit once gone
	idle                        // no leader: waiting for a trigger (exit policy continue)
	done                        // the supervisor exits with lifecycle.code
	nStates
)

var stateNames = [nStates]string{"running", "exiting", "stopping", "killing", "stopping-to-exit", "killing-to-exit", "idle", "done"}

func (s state) String() string { return stateNames[s] }

// event is what moves the lifecycle from one state to another. Other input
// (a signal that only is forwarded, an orphan reaped) changes no state.
type event uint8

const (
	evTrigger    event = iota // the trigger changed, or watched files did
	evLeaderExit              // the leader exited by itself, or could not start
	evGone                    // no process of the generation is left
	evTimeout                 // the stop timeout expired (at once when it is 0)
	evTerm                    // a terminating signal came (SIGTERM, SIGINT, ... or --stop-signal)
	nEvents
)

var eventNames = [nEvents]string{"trigger", "leader-exit", "gone", "timeout", "terminate"}

func (e event) String() string { return eventNames[e] }

// guards are the conditions, besides state and event, that choose a
// transition.
type guards struct {
	keepGoing bool // exit policy continue: an app that exits is not the end
	leftovers bool // processes of the last generation are left (asked only when idle)
}

// next is the transition function: the state that event e leads to from
// state s. It returns s when e changes nothing there.
func next(s state, e event, g guards) state {
	switch e {
	case evTrigger:
		switch {
		case s == running, s == idle && g.leftovers:
			return stopping
		case s == idle:
			return running
		}
	case evLeaderExit:
		switch {
		case s == running && g.keepGoing:
			return idle
		case s == running, s == exiting:
			return done
		}
	case evGone:
		switch s {
		case stopping, killing:
			return running
		case stoppingToExit, killingToExit:
			return done
		}
	case evTimeout:
		switch s {
		case stopping:
			return killing
		case stoppingToExit:
			return killingToExit
		}
	case evTerm:
		switch s {
		case running:
			return exiting
		case stopping:
			return stoppingToExit
		case killing:
			return killingToExit
		case idle:
			return done
		}
	}
	return s
}

// lifecycle is the supervisor's state machine. The event loop feeds it
// triggers, reaped processes, signals and timeouts, one at a time.
type lifecycle struct {
	cfg options.Config
	r   runner
	log *logger

	state     state
	leader    leader
	last      exitStatus // how the last leader ended
	stopBegan time.Duration
	code      int // exit code once state == done

	gen     int           // the number of the current (or last) generation
	req     int64         // the newest restart request seen (status.go)
	prevPid int           // the leader stopped for this restart, 0 for none; for the report
	stopped time.Duration // how long it took to stop, for the report
}

func newLifecycle(cfg options.Config, r runner, log *logger) *lifecycle {
	return &lifecycle{cfg: cfg, r: r, log: log}
}

func (l *lifecycle) done() bool { return l.state == done }

// handle moves the lifecycle along event e, and runs what entering the new
// state takes. It is the only place where the state changes.
func (l *lifecycle) handle(e event) {
	from := l.state
	g := guards{keepGoing: l.cfg.ExitPolicy == options.ExitPolicyContinue}
	if from == idle && e == evTrigger {
		g.leftovers = l.r.alive() // asked only here: it may scan /proc
	}
	to := next(from, e, g)
	if to == from {
		return
	}
	l.state = to
	switch to {
	case running:
		l.start()
	case stopping:
		l.beginStop()
	case killing, killingToExit:
		if e == evTimeout {
			l.killAll()
			l.checkGone()
		}
	case idle:
		// The leader's pid stays: the group of the processes it left is its.
		l.r.takeTerminal()
		l.log.event("waiting for a trigger (exit policy continue)")
	case done:
		l.finish()
	}
}

// start spawns a new generation: the first one, and on entering running.
func (l *lifecycle) start() {
	l.gen++
	pid, code, err := l.r.start()
	if err != nil {
		l.log.error(err.Error())
		l.last = exitStatus{code: code}
		l.leader = leader{}
		l.r.report(status{gen: l.gen, req: l.req, code: code, msg: err.Error()})
		l.handle(evLeaderExit)
		return
	}
	l.leader = leader{pid: pid, up: true}
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
	case running, idle:
		l.log.event("restart requested: ", reason)
	case exiting:
		l.log.event("ignoring restart request while exiting: ", reason)
	case stopping, killing:
		l.log.event("restart already in progress: ", reason)
	}
	l.handle(evTrigger)
}

// beginStop stops the current generation (entering stopping). With a stop
// timeout of 0, or SIGKILL as the stop signal, the timeout is now.
func (l *lifecycle) beginStop() {
	l.stopBegan = l.r.now()
	l.prevPid = 0 // idle: only the processes the last leader left
	if l.leader.up {
		l.prevPid = l.leader.pid
	}
	if l.cfg.StopTimeout <= 0 || l.cfg.StopSignal == syscall.SIGKILL {
		l.handle(evTimeout)
		return
	}
	l.r.stop(l.leader, l.cfg.StopSignal)
	l.r.setTimer(l.cfg.StopTimeout)
	l.checkGone()
}

// killAll sends SIGKILL to the generation.
func (l *lifecycle) killAll() {
	why := "after " + l.cfg.StopTimeout.String() + " stop timeout"
	switch {
	case l.cfg.StopTimeout <= 0:
		why = "at once (stop timeout 0)"
	case l.cfg.StopSignal == syscall.SIGKILL:
		why = "" // the stop signal itself: nothing to explain
	}
	n := l.r.kill(l.leader)
	if why != "" && n != 0 {
		count := "processes"
		if n > 0 {
			count = itoa(n) + " processes"
		}
		l.log.event("killed ", count, " ", why)
	}
}

// timeout handles the expiry of the stop timeout.
func (l *lifecycle) timeout() { l.handle(evTimeout) }

// stoppingAny reports whether the lifecycle waits for a generation to be gone.
func (l *lifecycle) stoppingAny() bool {
	switch l.state {
	case stopping, killing, stoppingToExit, killingToExit:
		return true
	}
	return false
}

// exited handles processes reaped by the event loop.
func (l *lifecycle) exited(pids []int, statuses []exitStatus) {
	for i, pid := range pids {
		if pid != l.leader.pid || !l.leader.up {
			continue // an orphan, or a process of an old generation
		}
		l.leader.up = false
		l.last = statuses[i]
		if l.state == running || l.state == exiting {
			l.log.event("pid ", itoa(pid), " ", l.last.String())
			l.r.report(status{gen: l.gen, req: l.req, pid: pid, code: l.last.exitCode(), msg: l.last.String()})
			l.handle(evLeaderExit)
		}
	}
	if l.stoppingAny() {
		l.checkGone()
	}
}

// checkGone completes a stop once no process of the generation is left.
func (l *lifecycle) checkGone() {
	if l.leader.up || l.r.alive() {
		return
	}
	l.r.setTimer(0)
	l.stopped = l.r.now() - l.stopBegan
	took := formatDuration(l.stopped)
	if l.prevPid != 0 {
		l.log.event("stopped pid ", itoa(l.prevPid), " in ", took)
	} else {
		l.log.event("stopped the processes left by the last run in ", took)
	}
	l.handle(evGone)
}

// signal handles a caught signal: it is forwarded to the app, and a
// terminating one makes the supervisor exit once the app is gone.
func (l *lifecycle) signal(sig syscall.Signal) {
	if l.leader.up {
		l.r.forward(l.leader, sig)
	}
	if !isTerminating(sig, l.cfg.StopSignal) {
		return
	}
	name := options.SignalName(sig)
	switch l.state {
	case running:
		l.log.event("received ", name, ": exiting when pid ", itoa(l.leader.pid), " exits")
	case stopping, killing:
		l.log.event("received ", name, " during restart: not starting the app again")
	case idle:
		l.log.event("received ", name, ": exiting")
	}
	l.handle(evTerm)
}

// isTerminating reports whether sig makes the supervisor exit after the app.
func isTerminating(sig, stopSignal syscall.Signal) bool {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP:
		return true
	}
	return sig == stopSignal
}

// finish makes the supervisor exit with the last app's exit code (entering
// done). Leftover processes of the generation get SIGKILL, as the kernel
// would do to a PID namespace whose init exits.
func (l *lifecycle) finish() {
	l.r.setTimer(0)
	if l.r.alive() {
		l.r.kill(l.leader)
	}
	l.code = l.last.exitCode()
}

//go:build linux

package supervisor

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/pkg/supervisor/internal/alarm"
)

// procRunner is the real runner: processes, signals, a timer.
type procRunner struct {
	cmd    *command
	gen    *generation
	log    *logger
	timer  *alarm.Alarm
	status *statusServer // nil when it could not be served
}

func newProcRunner(cmd *command, status *statusServer, log *logger) *procRunner {
	return &procRunner{cmd: cmd, gen: newGeneration(), log: log, timer: alarm.New(), status: status}
}

func (r *procRunner) start() (int, int, error) {
	pid, err := r.cmd.spawn()
	if err != nil {
		code := ExitNotRunnable
		if e, ok := err.(*execError); ok {
			code = e.code
		}
		return 0, code, err
	}
	r.log.event("started pid ", itoa(pid), ": ", formatArgv(r.cmd.argv))
	return pid, 0, nil
}

func (r *procRunner) forward(ld leader, sig syscall.Signal) {
	if ld.up {
		_ = unix.Kill(-ld.pid, sig) // ESRCH: it is exiting
	}
}

// signalAll sends sig to the leader's process group, atomically with
// respect to forks, then to every other member of the generation. It returns
// the number of members, or -1 when /proc cannot tell.
func (r *procRunner) signalAll(ld leader, sig syscall.Signal, quick bool) int {
	if ld.up {
		// While the leader is not reaped its pid, hence its group id,
		// cannot be reused: signal the group before the (slower) scan.
		_ = unix.Kill(-ld.pid, sig)
	}
	members, ok := r.gen.scan(quick)
	if !ok {
		if sig == unix.SIGKILL && r.gen.pid1 {
			_ = unix.Kill(-1, sig) // every process of the namespace but us
		}
		return -1
	}
	r.signalMembers(ld, members, sig)
	return len(members)
}

// signalMembers signals the members outside the leader's group, and the
// group itself if the leader is gone but the group is not.
func (r *procRunner) signalMembers(ld leader, members []proc, sig syscall.Signal) {
	group := false
	for _, m := range members {
		if m.pgid == ld.pid && ld.pid > 0 {
			group = true // the group exists: its id cannot have been reused
		} else {
			_ = unix.Kill(m.pid, sig)
		}
	}
	if group && !ld.up {
		_ = unix.Kill(-ld.pid, sig)
	}
}

func (r *procRunner) stop(ld leader, sig syscall.Signal) int {
	n := r.signalAll(ld, sig, true)
	if sig != unix.SIGCONT && n != 0 {
		// A stopped process would not act on the signal until continued.
		if ld.up {
			_ = unix.Kill(-ld.pid, unix.SIGCONT)
		}
		if n > 0 {
			r.signalMembers(ld, r.gen.members, unix.SIGCONT)
		}
	}
	return n
}

func (r *procRunner) kill(ld leader) int { return r.signalAll(ld, unix.SIGKILL, false) }

// alive reports whether a process of the generation is left. Every process
// of it descends from the supervisor, and orphans are reparented to it (it
// is PID 1 or a subreaper), atomically as their parent exits: no child at
// all means no generation. As a subreaper the supervisor starts nothing else,
// so any child is the generation's. As PID 1, a child may be an orphan of a
// docker exec: /proc tells.
func (r *procRunner) alive() bool {
	if !hasChildren() {
		return false
	}
	if !r.gen.pid1 {
		return true
	}
	members, ok := r.gen.scan(false)
	if ok {
		return len(members) > 0
	}
	return true // cannot tell: wait until the last child is reaped
}

func (r *procRunner) setTimer(d time.Duration) {
	if d <= 0 {
		r.timer.Stop()
		return
	}
	r.timer.Set(d)
}

func (r *procRunner) takeTerminal() { r.cmd.tty.takeForeground() }

func (r *procRunner) now() time.Duration { return time.Since(epoch) }

func (r *procRunner) report(s status) {
	if r.status != nil {
		r.status.publish(s)
	}
}

// epoch starts the runner's monotonic clock.
var epoch = time.Now()

//go:build linux

package supervisor

import (
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// forwardedSignals are caught and sent to the app's process group. The
// faults (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSYS) reach the channel
// only when another process sends them: a real fault of the supervisor still
// crashes it. Real-time signals 35-64 are added by catchSignals: 34
// (SIGRTMIN, musl's SIGSYNCCALL) is reserved by the Go runtime and cannot be
// caught; as PID 1 the kernel drops it, otherwise it kills the supervisor.
var forwardedSignals = []syscall.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP,
	unix.SIGABRT, unix.SIGBUS, unix.SIGFPE, unix.SIGUSR1, unix.SIGSEGV,
	unix.SIGUSR2, unix.SIGALRM, unix.SIGTERM, unix.SIGSTKFLT, unix.SIGCONT,
	unix.SIGTSTP, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM, unix.SIGWINCH,
	unix.SIGIO, unix.SIGPWR, unix.SIGSYS,
}

// droppedSignals are caught and dropped. Catching rather than ignoring them
// keeps the app's default disposition: an ignored signal stays ignored
// across exec, a caught one is reset.
//   - SIGPIPE: a closed stderr must not kill the supervisor, and a SIGPIPE
//     of the supervisor's own writes is no business of the app's.
//   - SIGTTIN, SIGTTOU: the supervisor runs in the background of its
//     terminal while the app has it; job control must not stop it (tini
//     ignores them for the same reason).
var droppedSignals = []syscall.Signal{unix.SIGPIPE, unix.SIGTTIN, unix.SIGTTOU}

// Left alone: SIGCHLD (the reaper's, on its own channel), SIGURG and SIGPROF
// (the Go runtime's), SIGKILL and SIGSTOP (uncatchable), 32, 33 and 34
// (reserved by the Go runtime for the C libraries).

// signals holds the channels of caught signals.
type signals struct {
	chld    chan os.Signal // SIGCHLD: reap
	forward chan os.Signal // forwarded signals
	drop    chan os.Signal // dropped signals
}

// catchSignals installs the handlers. It runs before the app starts, so that
// no signal or SIGCHLD is missed.
func catchSignals() *signals {
	s := &signals{
		chld:    make(chan os.Signal, 1), // one pending SIGCHLD means "reap"
		forward: make(chan os.Signal, 32),
		drop:    make(chan os.Signal, 1),
	}
	signal.Notify(s.chld, unix.SIGCHLD)
	fwd := make([]os.Signal, 0, len(forwardedSignals)+options.SigRTMAX-options.SigRTMIN+1)
	for _, sig := range forwardedSignals {
		fwd = append(fwd, sig)
	}
	for n := options.SigRTMIN + 1; n <= options.SigRTMAX; n++ {
		fwd = append(fwd, syscall.Signal(n))
	}
	signal.Notify(s.forward, fwd...)
	drop := make([]os.Signal, len(droppedSignals))
	for i, sig := range droppedSignals {
		drop[i] = sig
	}
	signal.Notify(s.drop, drop...)
	go func() {
		for range s.drop {
		}
	}()
	return s
}

// terminal is the controlling terminal on stdin, if the supervisor has one.
type terminal struct {
	ok bool
}

// openTerminal reports whether stdin is the supervisor's controlling
// terminal (TIOCGPGRP fails with ENOTTY on any other file or terminal).
func openTerminal() terminal {
	_, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	return terminal{ok: err == nil}
}

// takeForeground makes the supervisor's process group the foreground one.
// A background process must block SIGTTOU to do so (the kernel would stop
// it otherwise, or make it retry forever since the signal is caught), and
// the signal mask is per thread: the goroutine is locked to its thread
// meanwhile.
func (t terminal) takeForeground() {
	if !t.ok {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	sigaddset(&set, unix.SIGTTOU)
	if unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old) != nil {
		return
	}
	_ = unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, unix.Getpgrp())
	_ = unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
}

func sigaddset(set *unix.Sigset_t, sig syscall.Signal) {
	bits := uint(unsafe.Sizeof(set.Val[0]) * 8)
	set.Val[uint(sig-1)/bits] |= 1 << (uint(sig-1) % bits)
}

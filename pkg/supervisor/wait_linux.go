//go:build linux

package supervisor

import (
	"errors"
	"io"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// probeInterval paces --ready's connection attempts.
const probeInterval = 20 * time.Millisecond

// waitRestart is restart --wait: subscribe to the supervisor's status
// (status.go), write the trigger, then follow the generation that serves this
// request until it has stayed up for the settle time, or accepts connections
// on the --ready port. It returns restart's exit code.
func waitRestart(trigger, from string, ra restartArgs, stdout io.Writer, log *logger) int {
	fd, err := dialStatus(trigger, min(dialTimeout, ra.timeout))
	if err != nil {
		log.error("restart: cannot wait: ", dialError(trigger, from, err))
		return ExitRestartFailed
	}
	defer unix.Close(fd)
	begin := time.Now()
	req := begin.UnixNano() // what touchTrigger writes: the request's stamp
	if err := touchTrigger(trigger, begin); err != nil {
		log.error("restart: ", explainTouch(trigger, from, err))
		return ExitRestartFailed
	}
	w := waiter{fd: fd, req: req, ra: ra, begin: begin}
	return w.run(stdout, log)
}

// dialTimeout bounds the connection and both proofs, as --wait's timeout
// does when shorter: a supervisor answers in well under a millisecond,
// whatever else it is doing.
const dialTimeout = 5 * time.Second

// maxStatusLine bounds a status line: the supervisor's are under 300 bytes.
// More without a newline is not a supervisor talking.
const maxStatusLine = 4096

var (
	errNoSupervisor = errors.New("no supervisor answers")
	errBusy         = errors.New("busy")
	errNotStatus    = errors.New("not a supervisor's status stream")
)

// dialError explains why restart cannot follow the supervisor of trigger.
// The trigger is not written in any of these cases.
func dialError(trigger, from string, err error) string {
	switch {
	case errors.Is(err, errBusy):
		return "the supervisor of the trigger " + trigger + " already serves " + itoa(maxWaiters) +
			" restart --wait at once; the trigger was not written. Try again, or restart without --wait"
	case errors.Is(err, errNotSameContainer), errors.Is(err, errNotStatus):
		return "the status socket of the trigger " + trigger + " (from " + from +
			") is held by a process outside this container (" + err.Error() + "), so its answers cannot be trusted; the trigger was not written. " +
			"Another container of the pod binds the same abstract name: see docs/security.md. " +
			"`restart` without --wait still restarts the app"
	}
	return "no supervisor answers for the trigger " + trigger + " (from " + from + "): " + err.Error() +
		"; the trigger was not written. Is a supervisor of this version running here, " +
		"watching that trigger? (--trigger/RESTART_TRIGGER must name the trigger it watches)"
}

// detailed is an error of a kind (errors.Is) with more words; fmt would make
// the supervisor bigger for this one use.
type detailed struct {
	kind error
	more string
}

func detail(kind error, more string) error { return detailed{kind, more} }
func (d detailed) Error() string           { return d.kind.Error() + ": " + d.more }
func (d detailed) Unwrap() error           { return d.kind }

// dialStatus connects to the status stream of the supervisor of trigger
// and exchanges proofs with it (proof_linux.go), within timeout. The
// returned socket is non-blocking.
func dialStatus(trigger string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	addr, err := statusAddress(trigger)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, err
	}
	if err := dialProve(fd, addr, deadline); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func dialProve(fd int, addr *unix.SockaddrUnix, deadline time.Time) error {
	for {
		// A full backlog says EAGAIN on a non-blocking unix socket.
		err := unix.Connect(fd, addr)
		if err == nil {
			break
		}
		if err != unix.EAGAIN && err != unix.EINTR {
			return detail(errNoSupervisor, err.Error())
		}
		if !time.Now().Before(deadline) {
			return detail(errNoSupervisor, "its socket accepted no connection within "+formatDuration(dialTimeout))
		}
		time.Sleep(probeInterval)
	}
	if err := sendProof(fd, []byte("waiter\n")); err != nil {
		return err
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, max(1, int(time.Until(deadline)/time.Millisecond)))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return detail(errNotStatus, "it sent no answer within "+formatDuration(dialTimeout))
		}
		break
	}
	var buf [len(statusHello)]byte
	n, same, err := recvProof(fd, buf[:])
	switch {
	case err != nil:
		return err
	case n == 0:
		return detail(errNotSameContainer, "it hung up on this container's proof")
	case strings.HasPrefix(statusBusy, string(buf[:n])):
		return errBusy
	case !same:
		return errNotSameContainer
	case string(buf[:n]) != statusHello:
		return errNotStatus
	}
	return nil
}

// waiter follows the status stream for one request.
type waiter struct {
	fd    int
	req   int64
	ra    restartArgs
	begin time.Time
	buf   []byte
	// overflow: the stream sent more than maxStatusLine bytes without a
	// newline.
	overflow bool

	target  status    // the generation that serves the request, once gen != 0
	upSince time.Time // when the target was reported started
}

func (w *waiter) run(stdout io.Writer, log *logger) int {
	deadline := w.begin.Add(w.ra.timeout)
	for {
		now := time.Now()
		if w.target.gen != 0 {
			if w.ra.ready != 0 && probeTCP(w.ra.ready) {
				io.WriteString(stdout, "restart: "+w.stoppedText()+"pid "+itoa(w.target.pid)+" accepts connections on port "+
					itoa(w.ra.ready)+", "+formatDuration(time.Since(w.begin))+" after the trigger (generation "+itoa(w.target.gen)+")\n")
				return 0
			}
			if w.ra.ready == 0 && now.Sub(w.upSince) >= w.ra.settle {
				io.WriteString(stdout, "restart: "+w.stoppedText()+"pid "+itoa(w.target.pid)+" started and stayed up "+
					formatDuration(w.ra.settle)+" (generation "+itoa(w.target.gen)+")\n")
				return 0
			}
		}
		if !now.Before(deadline) {
			log.error("restart: ", w.timeoutText())
			return ExitWaitTimeout
		}
		wake := deadline.Sub(now)
		if w.target.gen != 0 {
			if w.ra.ready != 0 {
				wake = min(wake, probeInterval)
			} else {
				wake = min(wake, w.ra.settle-now.Sub(w.upSince))
			}
		}
		lines, open := w.read(wake)
		for _, line := range lines {
			if code, done := w.handle(line, log); done {
				return code
			}
		}
		if w.overflow {
			log.error("restart: the status stream sent a line longer than " + itoa(maxStatusLine) + " bytes: not a supervisor's; the trigger was written, the outcome is unknown")
			return ExitRestartFailed
		}
		if !open {
			log.error("restart: the supervisor exited before the new app was up; its log says why")
			return ExitRestartFailed
		}
	}
}

// handle takes one status line; done says that the wait failed with code.
func (w *waiter) handle(line string, log *logger) (code int, done bool) {
	s, ok := parseStatus(line)
	if !ok {
		return 0, false
	}
	switch {
	case w.target.gen == 0 && s.req < w.req:
		return 0, false // a generation from before this request
	case w.target.gen != 0 && s.gen < w.target.gen:
		return 0, false
	case w.target.gen != 0 && s.gen == w.target.gen && s.started:
		return 0, false
	case s.started:
		// The generation for this request, or a later one (another
		// restart came after ours), which runs our change as well.
		w.target, w.upSince = s, time.Now()
		return 0, false
	}
	// The generation ended by itself, or could not start.
	code = s.code
	var msg string
	if s.pid == 0 {
		msg = "the new app could not be started: " + s.msg
	} else {
		msg = "the new app (pid " + itoa(s.pid) + ") " + s.msg + " " + formatDuration(time.Since(w.begin)) + " after the trigger"
		if !w.upSince.IsZero() {
			msg += ", before it stayed up " + formatDuration(w.ra.settle)
		}
	}
	if code == 0 {
		code = ExitRestartFailed // an app that exits 0 is not up either
	}
	log.error("restart: ", msg)
	return code, true
}

// read waits up to d for status lines; open is false once the supervisor
// closed the stream.
func (w *waiter) read(d time.Duration) (lines []string, open bool) {
	ms := int(d / time.Millisecond)
	if d > 0 && ms == 0 {
		ms = 1
	}
	fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, ms)
	if err == unix.EINTR || n == 0 {
		return nil, true
	}
	var chunk [4096]byte
	m, err := unix.Read(w.fd, chunk[:])
	if err == unix.EINTR || err == unix.EAGAIN {
		return nil, true
	}
	if err != nil || m == 0 {
		return nil, false
	}
	w.buf = append(w.buf, chunk[:m]...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			if len(w.buf) > maxStatusLine {
				w.overflow = true
				return lines, false
			}
			return lines, true
		}
		lines = append(lines, string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *waiter) stoppedText() string {
	if w.target.oldPid == 0 {
		return ""
	}
	return "pid " + itoa(w.target.oldPid) + " stopped in " + formatDuration(w.target.stopped) + "; "
}

func (w *waiter) timeoutText() string {
	t := formatDuration(w.ra.timeout)
	switch {
	case w.target.gen == 0:
		return "no new app started within " + t + " of the trigger: is the old one slow to stop (see the supervisor's log and its --stop-timeout)?"
	case w.ra.ready != 0:
		return "the new app (pid " + itoa(w.target.pid) + ") did not accept connections on port " + itoa(w.ra.ready) +
			" within " + t + " of the trigger"
	}
	return "the new app (pid " + itoa(w.target.pid) + ") did not stay up " + formatDuration(w.ra.settle) + " within " + t + " of the trigger"
}

// probeTCP reports whether something accepts connections on the port of
// the loopback, IPv4 or IPv6.
func probeTCP(port int) bool {
	for _, sa := range []unix.Sockaddr{
		&unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}},
		&unix.SockaddrInet6{Port: port, Addr: [16]byte{15: 1}},
	} {
		family := unix.AF_INET
		if _, ok := sa.(*unix.SockaddrInet6); ok {
			family = unix.AF_INET6
		}
		fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			continue
		}
		err = unix.Connect(fd, sa)
		unix.Close(fd)
		if err == nil {
			return true
		}
	}
	return false
}

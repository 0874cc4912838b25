package supervisor

import (
	"strconv"
	"strings"
	"time"
)

// How `restart --wait` learns the outcome of a restart from the supervisor.
//
// The supervisor serves a status stream on an abstract unix socket (status
// server in status_linux.go). On connect it sends its last status line, then
// one line per event: a generation started, or one ended by itself or could
// not be started. `restart --wait` connects first, then writes the trigger,
// then reads lines until the generation that serves its request has stayed
// up (or it ended, or the timeout passed).
//
// Why a socket in the abstract namespace rather than a status file:
//   - It needs no writable directory: with a read-only root filesystem, or a
//     non-root user and the default trigger in /, there may be none that both
//     the supervisor and the exec'd restart can use. The trigger itself is
//     the only file that must be writable.
//   - Any user of the container may connect: abstract sockets have no file
//     permissions, so `restart` works as a user other than the supervisor's.
//     Other containers of the pod share the network namespace, hence the
//     socket: both ends prove they share the mount namespace before a line
//     is sent or believed (proof_linux.go), and the server caps and prunes
//     its connections (status_linux.go), so a neighbour can neither stall
//     PID 1 nor answer a waiter.
//   - No polling, and no stale state: a line is sent as the event happens,
//     and a supervisor that dies closes the stream, which restart sees.
//   - No cross-talk: the address is made from the device and inode of the
//     trigger's directory and the trigger's name (statusAddress), not from a
//     pid or a port. Two containers that share a network namespace (a pod)
//     have different root filesystems, hence different addresses; two
//     supervisors of a shared PID namespace are told apart the same way.
//     Supervisors that share one trigger file (a shared volume) would
//     restart together anyway: the second one logs that it serves no status.
//
// Requests are told apart by the trigger's content: restart writes its
// clock (Unix nanoseconds), the supervisor reads the trigger at each event
// and stamps each new generation with the newest request it has seen. A
// waiter takes the first generation stamped with its own request or a later
// one, so a restart already in flight, or several restarts at once, each
// find the generation that includes their change.

// status is one line of the status stream.
type status struct {
	gen     int           // generation number, from 1
	req     int64         // the newest restart request seen before the generation started
	started bool          // the generation started; otherwise it ended or could not start
	pid     int           // the generation's leader; 0 if it could not start
	code    int           // ended: its exit code, 126 or 127 if it could not start
	oldPid  int           // started: the leader of the generation before, 0 for none
	stopped time.Duration // started: how long the generation before took to stop
	msg     string        // ended: why, e.g. "exited with code 1"
}

// encode renders s as one line: keys are fixed, the message comes last.
func (s status) encode() []byte {
	state := "ended"
	if s.started {
		state = "started"
	}
	line := "gen=" + itoa(s.gen) + " req=" + strconv.FormatInt(s.req, 10) + " state=" + state +
		" pid=" + itoa(s.pid) + " code=" + itoa(s.code) + " oldpid=" + itoa(s.oldPid) +
		" stopped=" + strconv.FormatInt(int64(s.stopped), 10) + " msg=" + strings.ReplaceAll(s.msg, "\n", " ")
	return []byte(line + "\n")
}

// parseStatus reads a line made by encode (without its newline).
func parseStatus(line string) (status, bool) {
	var s status
	rest := line
	for _, key := range []string{"gen", "req", "state", "pid", "code", "oldpid", "stopped"} {
		field, after, ok := strings.Cut(rest, " ")
		value, found := strings.CutPrefix(field, key+"=")
		if !ok || !found {
			return status{}, false
		}
		rest = after
		if key == "state" {
			s.started = value == "started"
			continue
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return status{}, false
		}
		switch key {
		case "gen":
			s.gen = int(n)
		case "req":
			s.req = n
		case "pid":
			s.pid = int(n)
		case "code":
			s.code = int(n)
		case "oldpid":
			s.oldPid = int(n)
		case "stopped":
			s.stopped = time.Duration(n)
		}
	}
	msg, ok := strings.CutPrefix(rest, "msg=")
	s.msg = msg
	return s, ok
}

// stampAllowance is how far in the future a request's stamp may be.
const stampAllowance = 10 * time.Second

// requestOf reads the request stamp from the trigger's content: the Unix
// nanoseconds `restart` writes. Other content (`date > trigger`, touch) is
// no request anyone waits for: 0.
// Only the first line counts: the supervisor may read the file between
// restart's write and its truncation of the old content after it.
//
// A stamp later than now, beyond stampAllowance, is no request either:
// restart writes its clock before the supervisor reads it, on the same
// kernel, so only someone else writes one. Taken, it would stay the newest
// request for good, and every later `restart --wait` would accept an old
// generation. The allowance lets a request through whose stamp was written
// just before the clock stepped back.
func requestOf(content []byte, now time.Time) int64 {
	first, _, _ := strings.Cut(string(content), "\n")
	n, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	if err != nil || n < 0 || n > now.Add(stampAllowance).UnixNano() {
		return 0
	}
	return n
}

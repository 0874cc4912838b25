//go:build linux

package supervisor

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Both ends of the status stream prove that they run in the same container
// before the supervisor sends a status line or restart believes one.
//
// The status socket is abstract (status.go), so it belongs to the network
// namespace, and every container of a pod shares that. A neighbour could
// connect to it, or bind its name before the supervisor does and answer
// `restart --wait` with made-up outcomes. What a neighbour does not share is
// the mount namespace: each end sends, with its first message, an open
// descriptor of its own /proc/self/ns/mnt (SCM_RIGHTS), and the other end
// compares that namespace with its own. Opening one's own namespace needs no
// privilege, so this works between any two users (a root supervisor and a
// USER waiter, or the reverse); a descriptor of another namespace cannot be
// forged, and reading a peer's /proc/PID/ns/mnt instead would need
// CAP_SYS_PTRACE, which containers lack, and a PID the peer may not have in
// our PID namespace.

// errNotSameContainer is what a peer's missing or foreign proof means.
var errNotSameContainer = errors.New("the other end is not in this container (its mount namespace differs)")

// sendProof writes msg with a descriptor of this process's mount namespace,
// without blocking.
func sendProof(c int, msg []byte) error {
	ns, err := unix.Open("/proc/self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(ns)
	n, err := unix.SendmsgN(c, msg, unix.UnixRights(ns), nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
	if err == nil && n != len(msg) {
		err = unix.EAGAIN
	}
	return err
}

// recvProof reads one message into buf without blocking and reports whether
// it came with a descriptor of this process's own mount namespace. Every
// descriptor received is closed.
func recvProof(c int, buf []byte) (n int, same bool, err error) {
	// Room for a few descriptors, so that extra ones are received (and
	// closed) rather than left to truncate the message.
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, flags, _, err := unix.Recvmsg(c, buf, oob, unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return 0, false, err
	}
	var fds []int
	if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for i := range msgs {
			if got, err := unix.ParseUnixRights(&msgs[i]); err == nil {
				fds = append(fds, got...)
			}
		}
	}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	if flags&unix.MSG_CTRUNC != 0 || len(fds) != 1 {
		return n, false, nil
	}
	var theirs, ours unix.Stat_t
	if unix.Fstat(fds[0], &theirs) != nil || unix.Stat("/proc/self/ns/mnt", &ours) != nil {
		return n, false, nil
	}
	return n, theirs.Dev == ours.Dev && theirs.Ino == ours.Ino, nil
}

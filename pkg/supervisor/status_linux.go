//go:build linux

package supervisor

import (
	"errors"
	"hash/fnv"
	"path"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// statusAddress is the abstract unix socket of the supervisor watching
// trigger (see status.go for why): the device and inode of the trigger's
// directory, which tell containers apart, and a hash of its name, which
// tells triggers of one directory apart. The directory rather than the file:
// a file renamed onto the trigger changes the file's inode, not the
// directory's.
func statusAddress(trigger string) (*unix.SockaddrUnix, error) {
	var st unix.Stat_t
	if err := unix.Stat(path.Dir(trigger), &st); err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(path.Base(trigger)))
	name := "@restart-frontend/" + strconv.FormatUint(st.Dev, 16) + "/" + strconv.FormatUint(st.Ino, 16) +
		"/" + strconv.FormatUint(h.Sum64(), 16)
	return &unix.SockaddrUnix{Name: name}, nil
}

// Limits that keep the status socket from costing PID 1 more than a few
// descriptors, whoever connects (see proof_linux.go for who may).
const (
	// maxWaiters is the number of `restart --wait` followed at once; one
	// more gets a "busy" line. Tilt runs one per container at a time.
	maxWaiters = 64
	// maxPending is the number of connections that have not yet sent their
	// proof; one more closes the oldest. An honest waiter sends its proof
	// right after it connects, so a flood of silent connections cannot keep
	// it out.
	maxPending = 16
	// proofTimeout is how long a connection may stay silent.
	proofTimeout = time.Second
	// acceptBackoff is the pause after an accept error such as EMFILE,
	// after which the server tries again: it never stops serving.
	acceptBackoff = 100 * time.Millisecond
)

// statusHello is the supervisor's first line to a waiter, sent with its
// proof. statusBusy is the line sent instead when maxWaiters are followed.
const (
	statusHello = "restart-frontend status 1\n"
	statusBusy  = "busy: the supervisor already serves the most waiters it will (64)\n"
)

// statusServer sends the status stream to every `restart --wait` of this
// container connected. The event loop publishes; one goroutine accepts,
// checks proofs and drops waiters that hang up. Sends never block the loop:
// a waiter that does not read is dropped.
type statusServer struct {
	fd      int
	mu      sync.Mutex
	waiters []*peer
	last    []byte // the last line, sent first to a new waiter
}

// peer is one connection. closed is set, under the server's lock for
// waiters, once fd is closed, so that a descriptor number reused by a later
// connection is never mistaken for it.
type peer struct {
	fd     int
	since  time.Duration // when it connected, since serve began
	closed bool
}

func (p *peer) close() {
	if !p.closed {
		unix.Close(p.fd)
		p.closed = true
	}
}

// serveStatus listens on the status address of trigger.
func serveStatus(trigger string) (*statusServer, error) {
	addr, err := statusAddress(trigger)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, addr); err != nil {
		unix.Close(fd)
		if err == unix.EADDRINUSE {
			return nil, errStatusInUse
		}
		return nil, err
	}
	if err := unix.Listen(fd, 64); err != nil {
		unix.Close(fd)
		return nil, err
	}
	s := &statusServer{fd: fd}
	go s.serve()
	return s, nil
}

var errStatusInUse = errors.New("its address is taken: another supervisor watches the same trigger " +
	"(a shared volume?), or another container of the pod holds the name; restart --wait will refuse to trust it")

// serve accepts connections, takes their proofs and notices waiters that
// hang up, in one poll loop, forever.
func (s *statusServer) serve() {
	// A clock of serve's own: a time.Time in the server's struct would
	// link time's formatting and zone code into the supervisor (the struct
	// is reachable through an interface).
	start := time.Now()
	var pending []*peer
	var pause time.Duration
	for {
		if pause > 0 {
			time.Sleep(pause)
			pause = 0
		}
		fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
		for _, p := range pending {
			fds = append(fds, unix.PollFd{Fd: int32(p.fd), Events: unix.POLLIN})
		}
		s.mu.Lock()
		waiters := slices.Clone(s.waiters)
		s.mu.Unlock()
		for _, w := range waiters {
			// A waiter sends nothing after its proof: anything to read is
			// its hang-up.
			fds = append(fds, unix.PollFd{Fd: int32(w.fd), Events: unix.POLLIN | unix.POLLRDHUP})
		}
		timeout := -1
		if len(pending) > 0 {
			timeout = max(1, int((pending[0].since+proofTimeout-time.Since(start))/time.Millisecond)+1)
		}
		if _, err := unix.Poll(fds, timeout); err != nil && err != unix.EINTR {
			pause = acceptBackoff
			continue
		}
		now := time.Since(start)

		gone := false
		for i, w := range waiters {
			if fds[1+len(pending)+i].Revents != 0 {
				s.mu.Lock()
				w.close()
				s.mu.Unlock()
				gone = true
			}
		}
		if gone {
			s.mu.Lock()
			s.waiters = slices.DeleteFunc(s.waiters, func(w *peer) bool { return w.closed })
			s.mu.Unlock()
		}

		kept := pending[:0]
		for i, p := range pending {
			switch {
			case fds[1+i].Revents != 0:
				s.admit(p)
			case now-p.since >= proofTimeout:
				p.close()
			default:
				kept = append(kept, p)
			}
		}
		pending = kept

		if fds[0].Revents&unix.POLLIN != 0 {
			for {
				c, _, err := unix.Accept4(s.fd, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
				if err == unix.EINTR || err == unix.ECONNABORTED {
					continue
				}
				if err != nil {
					if err != unix.EAGAIN {
						pause = acceptBackoff // EMFILE and the like: try again later
					}
					break
				}
				if len(pending) == maxPending {
					pending[0].close()
					pending = pending[1:]
				}
				pending = append(pending, &peer{fd: c, since: now})
			}
		}
	}
}

// admit reads p's proof and, if it is from this container, makes it a
// waiter: the hello line with the supervisor's own proof, then the last
// status line. Anyone else is hung up on.
func (s *statusServer) admit(p *peer) {
	var buf [64]byte
	if _, same, err := recvProof(p.fd, buf[:]); err != nil || !same {
		p.close()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiters) >= maxWaiters {
		send(p, []byte(statusBusy))
		p.close()
		return
	}
	if sendProof(p.fd, []byte(statusHello)) != nil || (s.last != nil && !send(p, s.last)) {
		p.close()
		return
	}
	s.waiters = append(s.waiters, p)
}

// publish sends st to every waiter.
func (s *statusServer) publish(st status) {
	line := st.encode()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = line
	s.waiters = slices.DeleteFunc(s.waiters, func(w *peer) bool { return !send(w, line) })
}

// send writes line without blocking, and closes p if it cannot: the waiter
// is gone, or does not read.
func send(p *peer, line []byte) bool {
	if p.closed {
		return false
	}
	n, err := unix.SendmsgN(p.fd, line, nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
	if err != nil || n != len(line) {
		p.close()
		return false
	}
	return true
}

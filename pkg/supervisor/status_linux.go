//go:build linux

package supervisor

import (
	"errors"
	"hash/fnv"
	"path"
	"strconv"
	"sync"

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

// statusServer sends the status stream to every `restart --wait` connected.
// The event loop publishes; a goroutine accepts. Sends never block the loop:
// a waiter that does not read is dropped.
type statusServer struct {
	fd    int
	mu    sync.Mutex
	conns []int
	last  []byte // the last line, sent first to a new waiter
}

// serveStatus listens on the status address of trigger.
func serveStatus(trigger string) (*statusServer, error) {
	addr, err := statusAddress(trigger)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
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
	if err := unix.Listen(fd, 16); err != nil {
		unix.Close(fd)
		return nil, err
	}
	s := &statusServer{fd: fd}
	go s.accept()
	return s, nil
}

var errStatusInUse = errors.New("another supervisor watches the same trigger (a shared volume?)")

func (s *statusServer) accept() {
	for {
		c, _, err := unix.Accept4(s.fd, unix.SOCK_CLOEXEC)
		if err == unix.EINTR || err == unix.ECONNABORTED {
			continue
		}
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.last == nil || send(c, s.last) {
			s.conns = append(s.conns, c)
		}
		s.mu.Unlock()
	}
}

// publish sends st to every waiter.
func (s *statusServer) publish(st status) {
	line := st.encode()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = line
	kept := s.conns[:0]
	for _, c := range s.conns {
		if send(c, line) {
			kept = append(kept, c)
		}
	}
	s.conns = kept
}

// send writes line without blocking, and closes c if it cannot: the waiter
// is gone, or does not read.
func send(c int, line []byte) bool {
	n, err := unix.SendmsgN(c, line, nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
	if err != nil || n != len(line) {
		unix.Close(c)
		return false
	}
	return true
}

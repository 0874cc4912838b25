//go:build linux

package supervisor

import (
	"errors"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// Sockets of --listen (RESTART_LISTEN), by the systemd socket-activation
// protocol: the supervisor opens them once, before the first generation, and
// every generation gets them as fds 3, 4, ... with LISTEN_FDS (how many),
// LISTEN_FDNAMES (their names, colon-separated) and LISTEN_PID. While one
// generation stops and the next starts, the sockets stay open: connections
// wait in the kernel's backlog instead of being refused.
//
// LISTEN_PID must be the app's own pid (sd_listen_fds and go-systemd ignore
// the fds otherwise), which is not known before fork, and syscall.ForkExec
// runs no code of ours between fork and exec. So the child execs the
// supervisor itself first, as a shim (shimCommand): it sets LISTEN_PID to
// its getpid() and execs the app in the same process. exec keeps the pid,
// the process group, the terminal and the fds, so the pid the supervisor
// tracks is the app's, and the shim costs one exec of a static binary.

// selfExe is the supervisor's own binary as the child sees it after fork:
// /proc/self/exe stays valid even if the file was replaced since.
const selfExe = "/proc/self/exe"

// openListens opens the sockets and returns their fds, close-on-exec (the
// child gets them through ForkExec's Files, which clears the flag).
func openListens(list []options.Listen) ([]int, error) {
	fds := make([]int, 0, len(list))
	for _, l := range list {
		fd, err := openListen(l)
		if err != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			return nil, errors.New("cannot listen on " + l.String() + " (--listen/RESTART_LISTEN): " + err.Error())
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

func openListen(l options.Listen) (int, error) {
	if l.Network == "unix" {
		// A socket file left by an earlier run would make bind fail.
		var st unix.Stat_t
		if unix.Lstat(l.Path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			_ = unix.Unlink(l.Path)
		}
		return listenOn(unix.AF_UNIX, &unix.SockaddrUnix{Name: l.Path}, false)
	}
	if l.Host == "" {
		// Every address, IPv6 and IPv4 as Go's net.Listen(":PORT") does;
		// IPv4 alone where the kernel has no IPv6.
		fd, err := listenOn(unix.AF_INET6, &unix.SockaddrInet6{Port: l.Port}, true)
		if err != unix.EAFNOSUPPORT && err != unix.EADDRNOTAVAIL {
			return fd, err
		}
		return listenOn(unix.AF_INET, &unix.SockaddrInet4{Port: l.Port}, false)
	}
	addr := netip.MustParseAddr(l.Host) // options.ParseListen checked it
	if addr.Is4() {
		return listenOn(unix.AF_INET, &unix.SockaddrInet4{Port: l.Port, Addr: addr.As4()}, false)
	}
	return listenOn(unix.AF_INET6, &unix.SockaddrInet6{Port: l.Port, Addr: addr.As16()}, addr.IsUnspecified())
}

func listenOn(family int, sa unix.Sockaddr, dualStack bool) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if family != unix.AF_UNIX {
		err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}
	if err == nil && dualStack {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
	}
	if err == nil {
		err = unix.Bind(fd, sa)
	}
	if err == nil {
		err = unix.Listen(fd, unix.SOMAXCONN)
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// listenEnv returns env with the protocol's variables but LISTEN_PID, which
// the shim adds.
func listenEnv(env []string, list []options.Listen) []string {
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "LISTEN_") {
			out = append(out, kv)
		}
	}
	names := make([]string, len(list))
	for i, l := range list {
		names[i] = l.Name()
	}
	return append(out, "LISTEN_FDS="+itoa(len(list)), "LISTEN_FDNAMES="+strings.Join(names, ":"))
}

// shimMain is the shim: it runs in the app's process, between the fork and
// the app's exec. args are FILE ARGV0 ARGS...
func shimMain(args []string, log *logger) int {
	if len(args) < 2 {
		log.error(shimCommand + " is the supervisor's own: it runs the app with --listen sockets")
		return ExitUsage
	}
	env := append(os.Environ(), "LISTEN_PID="+itoa(os.Getpid()))
	var err error
	for try := 0; ; try++ {
		err = unix.Exec(args[0], args[1:], env)
		if !retryTextBusy(err, try) {
			break
		}
	}
	e := execFailure(args[1], args[0], err).(*execError)
	log.error(e.msg)
	return e.code
}

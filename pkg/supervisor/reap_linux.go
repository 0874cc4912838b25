//go:build linux

package supervisor

import "golang.org/x/sys/unix"

// reap collects every exited child (the app, its orphans, any zombie of the
// namespace when PID 1). It is called by the event loop only: one goroutine
// owns every wait4.
func reap(pids []int, statuses []exitStatus) ([]int, []exitStatus) {
	pids, statuses = pids[:0], statuses[:0]
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return pids, statuses
		}
		var st exitStatus
		switch {
		case ws.Exited():
			st.code = ws.ExitStatus()
		case ws.Signaled():
			st.signal = ws.Signal()
		default:
			continue // stopped or continued: not an exit
		}
		pids = append(pids, pid)
		statuses = append(statuses, st)
	}
}

// hasChildren reports whether the supervisor has a child, exited or not.
// WNOWAIT: only the event loop reaps.
func hasChildren() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, nil)
	return err != unix.ECHILD
}

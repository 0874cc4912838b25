//go:build linux

package supervisor

import (
	"os"
	"strconv"

	"github.com/tilt-dev/restart-frontend/pkg/supervisor/internal/dirent"
)

// peerProcesses lists the processes, but PID 1 and this one, that share this
// process's mount namespace: those of its own container when the PID
// namespace is shared with other containers (their supervisors have other
// mount namespaces, and their triggers are not ours). A process whose
// namespace cannot be read (another user's) is left out.
func peerProcesses() []string {
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return nil
	}
	me := strconv.Itoa(os.Getpid())
	var pids []string
	_ = dirent.Read("/proc", func(name string, _ uint8) {
		if name == "1" || name == me || name[0] < '0' || name[0] > '9' {
			return
		}
		if ns, err := os.Readlink("/proc/" + name + "/ns/mnt"); err == nil && ns == self {
			pids = append(pids, name)
		}
	})
	return pids
}

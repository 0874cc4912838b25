// Package statussock finds a supervisor's status socket among the unix
// sockets of a network namespace, as /proc/net/unix lists them: any process
// of the namespace (another container of the pod) can read it. The tests
// that play such a neighbour (test/neighbour, test/e2e, test/k8s) use it.
package statussock

import "strings"

// Prefix starts the abstract name of every supervisor's status socket, as
// /proc/net/unix shows it (pkg/supervisor's statusAddress).
const Prefix = "@restart-frontend/"

// Name returns the first status socket's name in table, the content of
// /proc/net/unix, and whether there is one.
func Name(table string) (string, bool) {
	for _, line := range strings.Split(table, "\n") {
		if fields := strings.Fields(line); len(fields) > 0 && strings.HasPrefix(fields[len(fields)-1], Prefix) {
			return fields[len(fields)-1], true
		}
	}
	return "", false
}

//go:build linux

package supervisor

import (
	"strings"
	"testing"
	"time"
)

// FuzzStatusLine feeds any line to the status protocol's parser and to the
// waiter that acts on it: no line panics, and a line that parses renders
// back to itself.
func FuzzStatusLine(f *testing.F) {
	for _, s := range []status{
		{gen: 1, req: 1700000000123456789, started: true, pid: 12, oldPid: 7, stopped: 3 * time.Millisecond},
		{gen: 2, req: 5, pid: 12, code: 3, msg: "exited with code 3"},
		{gen: 3, code: 127, msg: "cannot run app: not found"},
	} {
		f.Add(strings.TrimSuffix(string(s.encode()), "\n"))
	}
	f.Add("gen=1 req=0 state=started pid=1 code=0 oldpid=0 stopped=0 msg=")
	f.Add("gen=-1 req=-9223372036854775808 state=ended pid=0 code=-1 oldpid=0 stopped=-1 msg=x y")
	f.Add("busy: the supervisor already serves the most waiters it will (64)")
	f.Fuzz(func(t *testing.T, line string) {
		s, ok := parseStatus(line)
		if ok && !strings.Contains(line, "\n") {
			again, ok2 := parseStatus(strings.TrimSuffix(string(s.encode()), "\n"))
			if !ok2 || again != s {
				t.Fatalf("%q parses to %+v, which renders to something that parses to %+v (%v)", line, s, again, ok2)
			}
		}
		w := waiter{req: 10, ra: restartArgs{settle: time.Second, timeout: time.Second}, begin: time.Now()}
		w.handle(line, &logger{w: discard{}})
	})
}

// discard is io.Discard, without importing io for one test.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

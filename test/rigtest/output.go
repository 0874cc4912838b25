package rigtest

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// HangGuard bounds every wait of an Output. It is not a latency check: the
// waits end as soon as what they wait for happens.
const HangGuard = 2 * time.Minute

// Output collects what a command or a log stream writes, such as `docker
// logs -f` of a container or the followed log of a pod, so that waiting for
// a line costs no polling.
type Output struct {
	t    *testing.T
	mu   sync.Mutex
	cond *sync.Cond
	buf  bytes.Buffer
	done bool
}

// NewOutput returns an empty Output, to be written by a command.
func NewOutput(t *testing.T) *Output {
	o := &Output{t: t}
	o.cond = sync.NewCond(&o.mu)
	return o
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf.Write(p)
	o.mu.Unlock()
	o.cond.Broadcast()
	return len(p), nil
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Close says that nothing more will be written: a wait for what is not
// there fails at once.
func (o *Output) Close() {
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
	o.cond.Broadcast()
}

// Wait waits until the output holds want, and returns the output's line that
// has it first.
func (o *Output) Wait(want string) string {
	o.t.Helper()
	return o.WaitN(want, 1)
}

// WaitN waits until the output holds want n times, and returns the line of
// the n-th.
func (o *Output) WaitN(want string, n int) string {
	o.t.Helper()
	expired := false
	timer := time.AfterFunc(HangGuard, func() {
		o.mu.Lock()
		expired = true
		o.mu.Unlock()
		o.cond.Broadcast()
	})
	defer timer.Stop()
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		lines := slices.DeleteFunc(strings.SplitAfter(o.buf.String(), "\n"), func(l string) bool {
			return !strings.Contains(l, want)
		})
		if len(lines) >= n {
			return strings.TrimSpace(lines[n-1])
		}
		if o.done || expired {
			o.t.Fatalf("the output never had %q %d times:\n%s", want, n, o.buf.String())
		}
		o.cond.Wait()
	}
}

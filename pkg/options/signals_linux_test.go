//go:build linux

package options

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The portable table must match the kernel's numbering on this
// architecture.
func TestSignalTableMatchesLinux(t *testing.T) {
	for _, sn := range signalNames {
		if got := unix.SignalNum("SIG" + sn.name); got != 0 && got != sn.num {
			t.Errorf("SIG%s: table says %d, kernel says %d", sn.name, sn.num, got)
		}
	}
	for _, c := range []struct {
		name string
		num  int
	}{{"SIGTERM", int(unix.SIGTERM)}, {"SIGUSR1", int(unix.SIGUSR1)}, {"SIGSTKFLT", int(unix.SIGSTKFLT)}, {"SIGPWR", int(unix.SIGPWR)}} {
		if got, _ := ParseSignal(c.name); int(got) != c.num {
			t.Errorf("%s: %d, want %d", c.name, got, c.num)
		}
	}
}

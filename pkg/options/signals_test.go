package options

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	good := []struct {
		in   string
		want syscall.Signal
	}{
		{"SIGTERM", 15}, {"TERM", 15}, {"sigterm", 15}, {"Term", 15}, {"15", 15},
		{"SIGKILL", 9}, {"quit", 3}, {"SIGUSR1", 10}, {"WINCH", 28}, {"SIGIOT", 6},
		{"SIGCLD", 17}, {"POLL", 29}, {"SIGPWR", 30}, {"1", 1}, {"64", 64},
		{"SIGRTMIN", 34}, {"RTMIN+3", 37}, {"sigrtmin+15", 49}, {"SIGRTMAX", 64},
		{"SIGRTMAX-1", 63}, {"RTMAX-14", 50}, {"SIGRTMIN+30", 64}, {"SIGRTMAX-30", 34},
	}
	for _, tt := range good {
		got, err := ParseSignal(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSignal(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	bad := []string{"", "0", "-1", "65", "SIG", "SIGFOO", "TERM ", " 15", "SIGRTMIN-1", "RTMAX+1",
		"RTMIN+", "RTMIN+31", "RTMIN++1", "RTMIN+-1", "SIGSIGTERM", "1.5"}
	for _, in := range bad {
		if got, err := ParseSignal(in); err == nil {
			t.Errorf("ParseSignal(%q) = %d, want an error", in, got)
		}
	}
}

func TestSignalNameRoundTrips(t *testing.T) {
	for n := 1; n <= 64; n++ {
		name := SignalName(syscall.Signal(n))
		got, err := ParseSignal(name)
		if err != nil || got != syscall.Signal(n) {
			t.Errorf("ParseSignal(SignalName(%d) = %q) = %d, %v", n, name, got, err)
		}
	}
	for n, want := range map[int]string{15: "SIGTERM", 6: "SIGABRT", 17: "SIGCHLD", 29: "SIGIO", 37: "SIGRTMIN+3", 50: "SIGRTMAX-14", 32: "32"} {
		if got := SignalName(syscall.Signal(n)); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", n, got, want)
		}
	}
}

package options

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
)

// Signal numbers here are Linux's (x86, arm, arm64, ppc64le, s390x,
// riscv64: every architecture the supervisor ships for). They are spelled
// out rather than taken from package syscall so that ParseSignal gives the
// same answer on every OS the frontend may be compiled for.
// signals_linux_test.go checks them against the kernel's numbering.
const (
	sigTERM   = syscall.Signal(15)
	maxSignal = SigRTMAX
)

// The real-time signals the supervisor forwards, as the C library numbers
// them: glibc's SIGRTMIN is 34, as 32 and 33 are kept by the C library.
const (
	SigRTMIN = 34
	SigRTMAX = 64
)

// signalNames maps the names Docker accepts for STOPSIGNAL (without the SIG
// prefix) to Linux signal numbers. Real-time signals are handled apart.
var signalNames = [...]struct {
	name string
	num  syscall.Signal
}{
	{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ILL", 4}, {"TRAP", 5}, {"ABRT", 6},
	{"IOT", 6}, {"BUS", 7}, {"FPE", 8}, {"KILL", 9}, {"USR1", 10}, {"SEGV", 11},
	{"USR2", 12}, {"PIPE", 13}, {"ALRM", 14}, {"TERM", 15}, {"STKFLT", 16},
	{"CHLD", 17}, {"CLD", 17}, {"CONT", 18}, {"STOP", 19}, {"TSTP", 20},
	{"TTIN", 21}, {"TTOU", 22}, {"URG", 23}, {"XCPU", 24}, {"XFSZ", 25},
	{"VTALRM", 26}, {"PROF", 27}, {"WINCH", 28}, {"IO", 29}, {"POLL", 29},
	{"PWR", 30}, {"SYS", 31},
}

const signalWant = "a signal name or number, e.g. SIGTERM, TERM, sigterm, 15 or SIGRTMIN+3"

// ParseSignal parses a signal the way Docker parses STOPSIGNAL: a name with or
// without the SIG prefix in any case ("SIGTERM", "term"), a real-time signal
// ("SIGRTMIN+3", "RTMAX-1"), or a number from 1 to 64 ("15").
//
// Example:
//
//	sig, err := options.ParseSignal("sigquit") // syscall.Signal(3)
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > maxSignal {
			return 0, errors.New("signal number " + s + " is out of range 1-" + strconv.Itoa(maxSignal))
		}
		return syscall.Signal(n), nil
	}
	name := asciiUpper(s)
	name = strings.TrimPrefix(name, "SIG")
	for _, sn := range signalNames {
		if sn.name == name {
			return sn.num, nil
		}
	}
	if sig, ok := parseRealtime(name); ok {
		return sig, nil
	}
	return 0, errors.New("unknown signal " + Quote(s))
}

// parseRealtime parses RTMIN, RTMIN+n, RTMAX and RTMAX-n.
func parseRealtime(name string) (syscall.Signal, bool) {
	base, rest, sign := 0, "", 1
	switch {
	case strings.HasPrefix(name, "RTMIN"):
		base, rest = SigRTMIN, name[len("RTMIN"):]
	case strings.HasPrefix(name, "RTMAX"):
		base, rest, sign = SigRTMAX, name[len("RTMAX"):], -1
	default:
		return 0, false
	}
	off := 0
	if rest != "" {
		if (sign > 0 && rest[0] != '+') || (sign < 0 && rest[0] != '-') || len(rest) < 2 {
			return 0, false
		}
		n, err := strconv.Atoi(rest[1:])
		if err != nil || rest[1] < '0' || rest[1] > '9' || n > SigRTMAX-SigRTMIN {
			return 0, false
		}
		off = n
	}
	return syscall.Signal(base + sign*off), true
}

// SignalName returns the canonical name of a Linux signal number, e.g.
// "SIGTERM" or "SIGRTMIN+3", or the bare number when the signal has no name
// (32 and 33). ParseSignal(SignalName(s)) == s for every s in 1..64.
func SignalName(sig syscall.Signal) string {
	n := int(sig)
	switch {
	case n >= 1 && n <= 31:
		for _, sn := range signalNames {
			if int(sn.num) == n {
				return "SIG" + sn.name
			}
		}
	case n == SigRTMIN:
		return "SIGRTMIN"
	case n > SigRTMIN && n <= SigRTMIN+15:
		return "SIGRTMIN+" + strconv.Itoa(n-SigRTMIN)
	case n > SigRTMIN+15 && n < SigRTMAX:
		return "SIGRTMAX-" + strconv.Itoa(SigRTMAX-n)
	case n == SigRTMAX:
		return "SIGRTMAX"
	}
	return strconv.Itoa(n)
}

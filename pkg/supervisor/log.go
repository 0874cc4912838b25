package supervisor

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// logPrefix starts every line the supervisor prints.
const logPrefix = "[restart] "

// logger writes one line per event to stderr with a single write, so lines
// never interleave with each other; the app's own output does not pass
// through the supervisor at all.
type logger struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
	buf   []byte
}

func newLogger(w io.Writer, quiet bool) *logger {
	return &logger{w: w, quiet: quiet}
}

// event logs an event unless --quiet.
func (l *logger) event(parts ...string) {
	if l.quiet {
		return
	}
	l.write(parts)
}

// error logs a problem, even with --quiet.
func (l *logger) error(parts ...string) {
	l.write(parts)
}

func (l *logger) write(parts []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := append(l.buf[:0], logPrefix...)
	for _, p := range parts {
		b = append(b, p...)
	}
	b = append(b, '\n')
	_, _ = l.w.Write(b)
	if cap(b) <= 1024 {
		l.buf = b
	}
}

// formatDuration rounds d for humans: 3.2ms, 1.25s.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}

// formatArgv renders a command line, quoting the arguments that need it.
func formatArgv(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`") || hasControl(a) {
			b.WriteString(options.Quote(a))
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

// exitStatus is how a process ended.
type exitStatus struct {
	code   int            // exit code, when signal == 0
	signal syscall.Signal // killing signal, or 0
}

// exitCode is the shell's convention: the code, or 128+N if killed by N.
func (s exitStatus) exitCode() int {
	if s.signal != 0 {
		return 128 + int(s.signal)
	}
	return s.code
}

func (s exitStatus) String() string {
	if s.signal != 0 {
		return "killed by signal " + options.SignalName(s.signal) + " (exit code " + strconv.Itoa(s.exitCode()) + ")"
	}
	return "exited with code " + strconv.Itoa(s.code)
}

func itoa(n int) string { return strconv.Itoa(n) }

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

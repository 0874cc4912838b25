package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/test/testfs"
)

func TestTriggerPath(t *testing.T) {
	noProc := func(string) ([]byte, error) { return nil, os.ErrNotExist }
	noPeers := func() []string { return nil }
	proc := func(cmdline, environ string) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			switch name {
			case "/proc/1/cmdline":
				return []byte(cmdline), nil
			case "/proc/1/environ":
				if environ == "" {
					return nil, os.ErrPermission
				}
				return []byte(environ), nil
			}
			return nil, os.ErrNotExist
		}
	}
	tests := []struct {
		name     string
		args     []string
		env      []string
		readFile func(string) ([]byte, error)
		want     string
		from     string
	}{
		{"the option wins", []string{"--trigger=/opt"}, []string{"RESTART_TRIGGER=/env"}, proc("/.restart/supervisor\x00--trigger=/pid1\x00--\x00app\x00", ""), "/opt", "--trigger"},
		{"the option as two arguments", []string{"-trigger", "/opt"}, nil, noProc, "/opt", "--trigger"},
		{"then the environment", nil, []string{"RESTART_TRIGGER=/env"}, proc("/.restart/supervisor\x00--trigger=/pid1\x00--\x00app\x00", ""), "/env", "RESTART_TRIGGER"},
		{"then PID 1's command line", nil, nil, proc("/.restart/supervisor\x00--trigger=/pid1\x00--quiet\x00--\x00app\x00--trigger=/no\x00", ""), "/pid1", "the supervisor running as PID 1"},
		{"with PID 1's environment over it", nil, nil, proc("/.restart/supervisor\x00--trigger=/pid1\x00--\x00app\x00", "PATH=/bin\x00RESTART_TRIGGER=/pid1env\x00"), "/pid1env", "the supervisor running as PID 1"},
		{"PID 1's defaults", nil, nil, proc("/.restart/supervisor\x00--\x00app\x00", ""), "/.restart-proc", "the supervisor running as PID 1"},
		{"PID 1 is not a supervisor", nil, nil, proc("/sbin/tini\x00--trigger=/no\x00", ""), "/.restart-proc", "the default"},
		{"no /proc", nil, nil, noProc, "/.restart-proc", "the default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ra, err := parseRestartArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			got, from, err := triggerPath(ra.trigger, tt.env, tt.readFile, noPeers)
			if err != nil || got != tt.want || from != tt.from {
				t.Errorf("got %q from %q (%v), want %q from %q", got, from, err, tt.want, tt.from)
			}
		})
	}
	if got, _, err := triggerPath("", []string{"RESTART_TRIGGER=relative"}, noProc, noPeers); err == nil {
		t.Errorf("a relative RESTART_TRIGGER gives %q, want an error", got)
	}
	// A shared PID namespace: PID 1 is the pause process, the supervisor of
	// this container is a peer; a concurrent restart is not a supervisor.
	shared := func(name string) ([]byte, error) {
		switch name {
		case "/proc/1/cmdline":
			return []byte("/pause\x00"), nil
		case "/proc/7/cmdline":
			return []byte("/.restart/supervisor\x00--trigger=/tmp/t\x00--\x00app\x00"), nil
		case "/proc/9/cmdline":
			return []byte("/.restart/supervisor\x00restart\x00--wait\x00"), nil
		}
		return nil, os.ErrNotExist
	}
	if got, from, err := triggerPath("", nil, shared, func() []string { return []string{"9", "7"} }); got != "/tmp/t" || from != "the supervisor running as pid 7" || err != nil {
		t.Errorf("shared PID namespace: %q from %q, %v", got, from, err)
	}
	if got, _, _ := triggerPath("", nil, func(name string) ([]byte, error) {
		if name == "/proc/8/cmdline" {
			return []byte("/.restart/supervisor\x00--trigger=/other\x00--\x00app\x00"), nil
		}
		return shared(name)
	}, func() []string { return []string{"7", "8"} }); got != "/.restart-proc" {
		t.Errorf("two peer supervisors with different triggers: %q, want the default", got)
	}
}

func TestParseRestartArgs(t *testing.T) {
	def := restartArgs{timeout: DefaultWaitTimeout, settle: DefaultSettle}
	with := func(f func(*restartArgs)) restartArgs { ra := def; f(&ra); return ra }
	for _, tt := range []struct {
		args []string
		want restartArgs
	}{
		{nil, def},
		{[]string{"--wait"}, with(func(ra *restartArgs) { ra.wait = true })},
		{[]string{"--wait=2m", "--trigger", "/t//x"}, with(func(ra *restartArgs) { ra.wait, ra.timeout, ra.trigger = true, 2*time.Minute, "/t/x" })},
		{[]string{"--settle=0"}, with(func(ra *restartArgs) { ra.wait, ra.settle = true, 0 })},
		{[]string{"-ready", "tcp:8080"}, with(func(ra *restartArgs) { ra.wait, ra.ready = true, 8080 })},
	} {
		if got, err := parseRestartArgs(tt.args); err != nil || got != tt.want {
			t.Errorf("parseRestartArgs(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
	for bad, want := range map[string]string{
		"now":                  `unknown argument "now" to restart; usage: restart [--trigger=PATH] [--wait[=TIMEOUT]] [--settle=DURATION] [--ready=tcp:PORT]`,
		"--trigger=relative":   `invalid --trigger value "relative": want an absolute file path, e.g. /.restart-proc`,
		"--trigger":            "option --trigger needs a value; usage: restart",
		"--quiet":              `unknown argument "--quiet" to restart`,
		"--wait=0":             `invalid --wait value "0": want a Go duration above 0, e.g. 30s or 2m`,
		"--wait=10":            `invalid --wait value "10"`,
		"--settle=-1s":         `invalid --settle value "-1s"`,
		"--ready=8080":         `invalid --ready value "8080": want tcp:PORT`,
		"--ready=tcp:65536":    `invalid --ready value "tcp:65536"`,
		"--ready=unix:/a.sock": `invalid --ready value "unix:/a.sock"`,
	} {
		_, err := parseRestartArgs([]string{bad})
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("parseRestartArgs(%q): %v, want %s", bad, err, want)
		}
	}
}

func TestTouchTrigger(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "trigger")
	if err := touchTrigger(p, time.Unix(0, 42)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "42\n" {
		t.Errorf("content %q", b)
	}
	if err := touchTrigger(p, time.Unix(0, 7)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "7\n" {
		t.Errorf("content %q, want the old one replaced", b)
	}
	err := touchTrigger(filepath.Join(dir, "missing", "trigger"), time.Now())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing directory: %v", err)
	}
	msg := explainTouch("/t", "--trigger", &os.PathError{Op: "open", Path: "/t", Err: os.ErrPermission})
	if !strings.Contains(msg, "cannot write the trigger /t (from --trigger) as uid ") || !strings.Contains(msg, "must be writable") {
		t.Errorf("%s", msg)
	}
	msg = explainTouch("/t", "the supervisor running as PID 1", &os.PathError{Op: "open", Path: "/t", Err: syscall.EROFS})
	if !strings.Contains(msg, "read-only file system") || !strings.Contains(msg, "emptyDir") || !strings.Contains(msg, "RESTART_TRIGGER") {
		t.Errorf("a read-only file system, without the fix: %s", msg)
	}
}

func TestEnsureTrigger(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b", "trigger")
	if err := ensureTrigger(p); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o666 {
		t.Fatalf("%v %v", st, err)
	}
	testfs.WriteFile(t, p, []byte("keep"), 0o666)
	if err := ensureTrigger(p); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "keep" {
		t.Errorf("an existing trigger was changed: %q", b)
	}
}

func TestFormatting(t *testing.T) {
	if got := formatArgv([]string{"/app/server", "--port", "8080", "a b", "", `x"y`, "tab\there"}); got != `/app/server --port 8080 "a b" "" "x\"y" "tab\there"` {
		t.Errorf("formatArgv: %s", got)
	}
	for d, want := range map[time.Duration]string{
		3210 * time.Microsecond: "3.2ms", 532 * time.Microsecond: "532µs", 1254 * time.Millisecond: "1.25s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %s, want %s", d, got, want)
		}
	}
	for s, want := range map[exitStatus]string{
		{code: 3}: "exited with code 3", {signal: 9}: "killed by signal SIGKILL (exit code 137)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%s, want %s", got, want)
		}
	}
}

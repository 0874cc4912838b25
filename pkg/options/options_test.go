package options

import (
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	def := DefaultConfig()
	with := func(f func(c *Config)) Config { c := DefaultConfig(); f(&c); return c }
	tests := []struct {
		name string
		args []string
		env  []string
		want Config
		argv []string
	}{
		{"no options means defaults", []string{"--", "app"}, nil, def, []string{"app"}},
		{"the command may start without --", []string{"app", "--trigger=/x"}, nil, def, []string{"app", "--trigger=/x"}},
		{"a -- after the command belongs to the command", []string{"--", "app", "--", "x"}, nil, def, []string{"app", "--", "x"}},
		{"no command is not an error", []string{"--quiet"}, nil, with(func(c *Config) { c.Quiet = true }), nil},
		{"values may follow with = or as the next argument",
			[]string{"--trigger", "/tmp/t", "-exit-policy=continue", "--stop-signal", "quit", "--stop-timeout=1m", "--poll", "1s", "--", "a"}, nil,
			with(func(c *Config) {
				c.Trigger, c.ExitPolicy, c.StopSignal, c.StopTimeout, c.Poll = "/tmp/t", ExitPolicyContinue, syscall.Signal(3), time.Minute, time.Second
			}), []string{"a"}},
		{"paths are cleaned", []string{"--trigger=/tmp//x/../t/", "--watch=/app/./src/,/lib"}, nil,
			with(func(c *Config) { c.Trigger, c.Watch = "/tmp/t", []string{"/app/src", "/lib"} }), nil},
		{"a repeated --watch adds directories once", []string{"--watch=/a,/b", "--watch", "/b,/c,"}, nil,
			with(func(c *Config) { c.Watch = []string{"/a", "/b", "/c"} }), nil},
		{"--watch= means none", []string{"--watch="}, nil, def, nil},
		{"sockets to listen on, once each", []string{"--listen=tcp:8080,unix:/tmp//app.sock,tcp:8080,tcp:[::]:9090"}, nil,
			with(func(c *Config) {
				c.Listen = []Listen{{Network: "tcp", Port: 8080}, {Network: "unix", Path: "/tmp/app.sock"}, {Network: "tcp", Host: "::", Port: 9090}}
			}), nil},
		{"RESTART_LISTEN overrides --listen", []string{"--listen=tcp:1"}, []string{"RESTART_LISTEN=tcp:127.0.0.1:2"},
			with(func(c *Config) { c.Listen = []Listen{{Network: "tcp", Host: "127.0.0.1", Port: 2}} }), nil},
		{"--quiet=false", []string{"--quiet", "--quiet=false"}, nil, def, nil},
		{"the exit policy ignores case", []string{"--exit-policy=CONTINUE"}, nil,
			with(func(c *Config) { c.ExitPolicy = ExitPolicyContinue }), nil},
		{"the debounce takes 1ms to 10s", []string{"--debounce=1ms", "--debounce", "10s"}, nil,
			with(func(c *Config) { c.Debounce = 10 * time.Second }), nil},
		{"a stop timeout of 0 is allowed", []string{"--stop-timeout=0"}, nil,
			with(func(c *Config) { c.StopTimeout = 0 }), nil},
		{"variables override options",
			[]string{"--trigger=/flag", "--exit-policy=continue", "--stop-signal=INT", "--stop-timeout=1s", "--watch=/w", "--poll=1s", "--quiet"},
			[]string{"RESTART_TRIGGER=/env", "RESTART_EXIT_POLICY=exit", "RESTART_STOP_SIGNAL=SIGRTMIN+3", "RESTART_STOP_TIMEOUT=2s",
				"RESTART_WATCH=/e1,/e2", "RESTART_DEBOUNCE=30ms", "RESTART_POLL=0", "RESTART_QUIET=0", "PATH=/bin"},
			with(func(c *Config) {
				c.Trigger, c.StopSignal, c.StopTimeout, c.Watch = "/env", syscall.Signal(37), 2*time.Second, []string{"/e1", "/e2"}
				c.Debounce = 30 * time.Millisecond
			}), nil},
		{"an empty variable counts as unset", []string{"--trigger=/flag"}, []string{"RESTART_TRIGGER=", "RESTART_QUIET="},
			with(func(c *Config) { c.Trigger = "/flag" }), nil},
		{"an empty RESTART_WATCH clears the watch", []string{"--watch=/w"}, []string{"RESTART_WATCH="}, def, nil},
		{"the last duplicate variable wins", nil, []string{"RESTART_TRIGGER=/a", "RESTART_TRIGGER=/b"},
			with(func(c *Config) { c.Trigger = "/b" }), nil},
		{"other variables are ignored", nil, []string{"RESTART_TRIGGERX=/x", "XRESTART_TRIGGER=/y", "RESTART_=1"}, def, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, argv, err := ParseConfig(tt.args, tt.env)
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("config:\n got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(argv, tt.argv) {
				t.Errorf("argv: got %q, want %q", argv, tt.argv)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown option", []string{"--frob", "--", "a"}, nil,
			`unknown option "--frob"; options: --trigger, --exit-policy, --stop-signal, --stop-timeout, --watch, --debounce, --poll, --listen, --quiet`},
		{"missing value", []string{"--stop-timeout"}, nil,
			`option --stop-timeout needs a value: a Go duration of 0 or more with a unit, e.g. 5s, 500ms or 0 (0 sends SIGKILL at once)`},
		{"relative trigger", []string{"--trigger=tmp/t"}, nil,
			`invalid --trigger value "tmp/t": want an absolute file path, e.g. /.restart-proc`},
		{"root as trigger", []string{"--trigger=/"}, nil,
			`invalid --trigger value "/": want an absolute file path, e.g. /.restart-proc`},
		{"a trigger among the system's files", []string{"--trigger=/etc/restart"}, nil,
			`invalid --trigger value "/etc/restart": want a file outside /etc: the trigger is created writable by every user, and /etc is the system's; e.g. /.restart-proc (the default), or a file in a folder of its own, such as /restart/trigger on an emptyDir`},
		{"a trigger in /lib64", nil, []string{"RESTART_TRIGGER=/lib64/x"},
			`invalid RESTART_TRIGGER value "/lib64/x": want a file outside /lib64: the trigger is created writable by every user, and /lib64 is the system's; e.g. /.restart-proc (the default), or a file in a folder of its own, such as /restart/trigger on an emptyDir`},
		{"a trigger in /usr, written otherwise", []string{"--trigger=/tmp/../usr/bin/x"}, nil,
			`invalid --trigger value "/tmp/../usr/bin/x": want a file outside /usr: the trigger is created writable by every user, and /usr is the system's; e.g. /.restart-proc (the default), or a file in a folder of its own, such as /restart/trigger on an emptyDir`},
		{"a watch on /", []string{"--watch=/app,/"}, nil,
			`invalid --watch value "/app,/": want the app's own folders, e.g. /app/src: / holds the system's files, which change all the time (every restart would bring the next)`},
		{"a watch under /proc", nil, []string{"RESTART_WATCH=/proc/1"},
			`invalid RESTART_WATCH value "/proc/1": want the app's own folders, e.g. /app/src: /proc holds the system's files, which change all the time (every restart would bring the next)`},
		{"a watch on /dev", []string{"--watch=/dev"}, nil,
			`invalid --watch value "/dev": want the app's own folders, e.g. /app/src: /dev holds the system's files, which change all the time (every restart would bring the next)`},
		{"bad exit policy", []string{"--exit-policy=restart"}, nil,
			`invalid --exit-policy value "restart": want exit or continue`},
		{"bad signal", []string{"--stop-signal=SIGFOO"}, nil,
			`invalid --stop-signal value "SIGFOO": want a signal name or number, e.g. SIGTERM, TERM, sigterm, 15 or SIGRTMIN+3`},
		{"signal 0", []string{"--stop-signal=0"}, nil,
			`invalid --stop-signal value "0": want a signal name or number, e.g. SIGTERM, TERM, sigterm, 15 or SIGRTMIN+3`},
		{"signal 65", []string{"--stop-signal", "65"}, nil,
			`invalid --stop-signal value "65": want a signal name or number, e.g. SIGTERM, TERM, sigterm, 15 or SIGRTMIN+3`},
		{"timeout without unit", []string{"--stop-timeout=10"}, nil,
			`invalid --stop-timeout value "10": want a Go duration of 0 or more with a unit, e.g. 5s, 500ms or 0 (0 sends SIGKILL at once)`},
		{"negative timeout", []string{"--stop-timeout=-1s"}, nil,
			`invalid --stop-timeout value "-1s": want a Go duration of 0 or more with a unit, e.g. 5s, 500ms or 0 (0 sends SIGKILL at once)`},
		{"relative watch", []string{"--watch=/app,src"}, nil,
			`invalid --watch value "/app,src": want comma-separated absolute directories, e.g. /app/src,/app/lib`},
		{"poll too fast", []string{"--poll=1ms"}, nil,
			`invalid --poll value "1ms": want 0 (use inotify) or a Go duration of at least 10ms, e.g. 250ms`},
		{"debounce of 0", []string{"--debounce=0"}, nil,
			`invalid --debounce value "0": want a Go duration from 1ms to 10s, e.g. 100ms`},
		{"debounce too long", nil, []string{"RESTART_DEBOUNCE=1m"},
			`invalid RESTART_DEBOUNCE value "1m": want a Go duration from 1ms to 10s, e.g. 100ms`},
		{"a socket without a network", nil, []string{"RESTART_LISTEN=8080"},
			`invalid RESTART_LISTEN value "8080": want ` + listenWant},
		{"a host name instead of an address", []string{"--listen=tcp:localhost:8080"}, nil,
			`invalid --listen value "tcp:localhost:8080": want ` + listenWant},
		{"a port out of range", []string{"--listen=tcp:8080,tcp:65536"}, nil,
			`invalid --listen value "tcp:8080,tcp:65536": want ` + listenWant},
		{"a relative unix socket", []string{"--listen=unix:app.sock"}, nil,
			`invalid --listen value "unix:app.sock": want ` + listenWant},
		{"bad quiet", []string{"--quiet=yes"}, nil,
			`invalid --quiet value "yes": want true or false (or 1 or 0)`},
		{"bad variable names the variable", nil, []string{"RESTART_STOP_SIGNAL=TERMINATE"},
			`invalid RESTART_STOP_SIGNAL value "TERMINATE": want a signal name or number, e.g. SIGTERM, TERM, sigterm, 15 or SIGRTMIN+3`},
		{"bad RESTART_QUIET", nil, []string{"RESTART_QUIET=verbose"},
			`invalid RESTART_QUIET value "verbose": want true or false (or 1 or 0)`},
		{"bad RESTART_POLL", nil, []string{"RESTART_POLL=fast"},
			`invalid RESTART_POLL value "fast": want 0 (use inotify) or a Go duration of at least 10ms, e.g. 250ms`},
		{"bad RESTART_WATCH", nil, []string{"RESTART_WATCH=./src"},
			`invalid RESTART_WATCH value "./src": want comma-separated absolute directories, e.g. /app/src,/app/lib`},
		{"bad RESTART_EXIT_POLICY", nil, []string{"RESTART_EXIT_POLICY=never"},
			`invalid RESTART_EXIT_POLICY value "never": want exit or continue`},
		{"bad RESTART_STOP_TIMEOUT", nil, []string{"RESTART_STOP_TIMEOUT=5"},
			`invalid RESTART_STOP_TIMEOUT value "5": want a Go duration of 0 or more with a unit, e.g. 5s, 500ms or 0 (0 sends SIGKILL at once)`},
		{"bad RESTART_TRIGGER", nil, []string{"RESTART_TRIGGER=.restart-proc"},
			`invalid RESTART_TRIGGER value ".restart-proc": want an absolute file path, e.g. /.restart-proc`},
		{"control characters are escaped", []string{"--exit-policy=a\nb"}, nil,
			`invalid --exit-policy value "a\nb": want exit or continue`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseConfig(tt.args, tt.env)
			if err == nil {
				t.Fatal("ParseConfig succeeded")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the error spans lines: %q", err)
			}
		})
	}
}

func TestParseConfigHelp(t *testing.T) {
	for _, a := range []string{"-h", "--help", "-help"} {
		if _, _, err := ParseConfig([]string{"--quiet", a, "--", "x"}, nil); err != ErrHelp {
			t.Errorf("%s: got %v, want ErrHelp", a, err)
		}
	}
}

func TestConfigArgs(t *testing.T) {
	t.Run("the defaults render every option, trigger first", func(t *testing.T) {
		got := strings.Join(DefaultConfig().Args(), " ")
		want := "--trigger=/.restart-proc --exit-policy=exit --stop-signal=SIGTERM --stop-timeout=5s --watch= --debounce=100ms --poll=0s --listen= --quiet=false"
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("a full config parses back to itself", func(t *testing.T) {
		c := Config{
			Trigger: "/tmp/a b=c", ExitPolicy: ExitPolicyContinue, StopSignal: 37,
			StopTimeout: 1500 * time.Millisecond, Watch: []string{"/app", "/lib x"}, Debounce: 20 * time.Millisecond,
			Poll: 10 * time.Millisecond, Quiet: true,
			Listen: []Listen{{Network: "unix", Path: "/run/a b.sock"}, {Network: "tcp", Host: "::1", Port: 1}, {Network: "tcp", Host: "10.0.0.1", Port: 65535}},
		}
		got, argv, err := ParseConfig(c.Args(), nil)
		if err != nil || argv != nil || !reflect.DeepEqual(got, c) {
			t.Errorf("got %+v, %q, %v; want %+v", got, argv, err, c)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add("--trigger=/tmp/t\x00--stop-signal=RTMAX-2\x00--\x00app", "RESTART_WATCH=/a,/b")
	f.Add("--watch\x00/a,,/b/../c\x00--poll=15ms\x00--quiet", "RESTART_STOP_TIMEOUT=1h2m3.5s")
	f.Add("-exit-policy=Continue\x00-stop-timeout\x000\x00x", "RESTART_QUIET=1\x00RESTART_STOP_SIGNAL=sigusr1")
	f.Add("--stop-signal=64\x00--\x00--", "RESTART_TRIGGER=/x/./y\x00RESTART_POLL=0")
	f.Add("--listen=tcp:[::ffff:1.2.3.4]:80,unix:/a/../b", "RESTART_LISTEN=tcp:0.0.0.0:8080,tcp:1")
	f.Fuzz(func(t *testing.T, args, env string) {
		a := strings.Split(args, "\x00")
		e := strings.Split(env, "\x00")
		c, argv, err := ParseConfig(a, e)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		if len(argv) > len(a) {
			t.Fatalf("argv %q longer than args %q", argv, a)
		}
		rendered := c.Args()
		back, argv2, err := ParseConfig(rendered, nil)
		if err != nil {
			t.Fatalf("Args %q do not parse: %v", rendered, err)
		}
		if argv2 != nil {
			t.Fatalf("Args %q parse to a command %q", rendered, argv2)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip:\n got %+v\nwant %+v\nargs %q", back, c, rendered)
		}
		// Rendering is stable.
		if again := back.Args(); !reflect.DeepEqual(again, rendered) {
			t.Fatalf("unstable rendering: %q vs %q", again, rendered)
		}
	})
}

func TestParseListen(t *testing.T) {
	for in, want := range map[string]string{
		"tcp:8080": "tcp:8080", "tcp:0.0.0.0:80": "tcp:0.0.0.0:80", "tcp:[::]:9090": "tcp:[::]:9090",
		"tcp:[0:0::1]:1": "tcp:[::1]:1", "unix:/tmp/./app.sock": "unix:/tmp/app.sock",
	} {
		l, err := ParseListen(in)
		if err != nil || l.String() != want {
			t.Errorf("ParseListen(%q) = %v, %v; want %s", in, l, err, want)
		}
	}
	for _, in := range []string{"", "tcp", "tcp:", "tcp:0", "tcp:080", "tcp:+80", "tcp:-1", "tcp:::1:80", "tcp:[1.2.3.4]:80",
		"tcp:[::1:80", "tcp::80", "tcp:example.com:80", "tcp:[fe80::1%eth0]:80", "udp:53", "unix:", "unix:/", "unix:rel", "TCP:80"} {
		if l, err := ParseListen(in); err == nil {
			t.Errorf("ParseListen(%q) = %v, want an error", in, l)
		}
	}
	for in, want := range map[string]string{"tcp:8080": "tcp-8080", "tcp:[::1]:9090": "tcp-9090", "unix:/run/a:b.sock": "unix-a-b.sock"} {
		if l, _ := ParseListen(in); l.Name() != want {
			t.Errorf("%s: name %q, want %q", in, l.Name(), want)
		}
	}
}

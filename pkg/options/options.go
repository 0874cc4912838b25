// Package options holds the supervisor's option rules, shared by the
// frontend, at build time, and the supervisor, at run time: ParseConfig
// validates build args and RESTART_* variables, Config.Args bakes them into
// the image's entrypoint, and the supervisor parses them back with the same
// code. So a value that builds is a value the supervisor accepts.
//
// It is pure and portable: it reads nothing but its arguments, starts no
// process and holds no Linux-only code, so the frontend builds it for any
// OS, and the supervisor links nothing more than it needs.
//
// The help text is made from the options table below (Help); an option
// added there also belongs in the README's table of build args.
package options

import (
	"errors"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

// ExitPolicy says what the supervisor does when the app exits by itself.
type ExitPolicy string

const (
	// ExitPolicyExit makes the supervisor exit with the app's exit code.
	ExitPolicyExit ExitPolicy = "exit"
	// ExitPolicyContinue keeps the supervisor (and so the container) alive
	// until the next trigger starts the app again.
	ExitPolicyContinue ExitPolicy = "continue"
)

// Defaults of the options. The trigger's is part of the image contract:
// [contract.DefaultTrigger].
const (
	DefaultStopSignal  = sigTERM
	DefaultStopTimeout = 5 * time.Second
	// MinPoll is the shortest polling interval accepted.
	MinPoll = 10 * time.Millisecond
	// DefaultDebounce is how long changes under watched directories must be
	// quiet before they restart the app. It outlasts the gap between the two
	// execs of a Tilt or Compose sync that deletes files (rm -rf, then
	// tar -x: ~45 ms on Docker), so that such a sync restarts the app once.
	DefaultDebounce = 100 * time.Millisecond
	// MinDebounce and MaxDebounce bound --debounce.
	MinDebounce = time.Millisecond
	MaxDebounce = 10 * time.Second
)

// EnvPrefix starts every variable the supervisor reads; all variables with
// this prefix are removed from the app's environment.
const EnvPrefix = "RESTART_"

// Config holds the supervisor's options. The zero value is not valid: start
// from DefaultConfig or ParseConfig.
type Config struct {
	Trigger     string         // absolute path of the trigger file
	ExitPolicy  ExitPolicy     // what to do when the app exits by itself
	StopSignal  syscall.Signal // signal that asks the app to stop
	StopTimeout time.Duration  // time between StopSignal and SIGKILL; 0 kills at once
	Watch       []string       // absolute directories watched recursively; nil for none
	Debounce    time.Duration  // quiet time after changes under Watch before a restart
	Poll        time.Duration  // polling interval; 0 uses inotify
	Listen      []Listen       // sockets handed to every generation; nil for none
	Quiet       bool           // no event logs (errors are still printed)
}

// DefaultConfig returns the configuration used when no option is given.
func DefaultConfig() Config {
	return Config{
		Trigger:     contract.DefaultTrigger,
		ExitPolicy:  ExitPolicyExit,
		StopSignal:  DefaultStopSignal,
		StopTimeout: DefaultStopTimeout,
		Debounce:    DefaultDebounce,
	}
}

// OptionError reports a bad option or environment value.
type OptionError struct {
	Name  string // "--stop-signal" or "RESTART_STOP_SIGNAL"
	Value string // the value as given
	Want  string // what is accepted
}

func (e *OptionError) Error() string {
	return "invalid " + e.Name + " value " + Quote(e.Value) + ": want " + e.Want
}

// ErrHelp is returned by ParseConfig when -h, -help or --help is given.
var ErrHelp = errors.New("help requested")

// option describes one command-line option and its environment variable.
type option struct {
	name   string // without dashes
	env    string
	isBool bool
	want   string
	usage  string
	set    func(c *Config, v string) error
}

// options lists every option in the order Config.Args renders them.
var options = []option{
	{
		name: "trigger", env: "RESTART_TRIGGER",
		want:  "an absolute file path, e.g. /.restart-proc",
		usage: "file whose change (write, touch, create, rename onto it) restarts the app; created 0666 if missing (default " + contract.DefaultTrigger + ")",
		set: func(c *Config, v string) error {
			p, ok := cleanAbs(v)
			if !ok || p == "/" {
				return errBad
			}
			if dir := systemFolder(p, triggerRefused); dir != "" {
				return notWanted("a file outside " + dir + ": the trigger is created writable by every user, " +
					"and " + dir + " is the system's; e.g. " + contract.DefaultTrigger + " (the default), " +
					"or a file in a folder of its own, such as /restart/trigger on an emptyDir")
			}
			c.Trigger = p
			return nil
		},
	},
	{
		name: "exit-policy", env: "RESTART_EXIT_POLICY",
		want:  "exit or continue",
		usage: "when the app exits by itself: exit (with its code) or continue (wait for the next trigger) (default exit)",
		set: func(c *Config, v string) error {
			switch p := ExitPolicy(asciiLower(v)); p {
			case ExitPolicyExit, ExitPolicyContinue:
				c.ExitPolicy = p
				return nil
			}
			return errBad
		},
	},
	{
		name: "stop-signal", env: "RESTART_STOP_SIGNAL",
		want:  signalWant,
		usage: "signal sent to the app's process group to stop it (default SIGTERM)",
		set: func(c *Config, v string) error {
			sig, err := ParseSignal(v)
			if err != nil {
				return errBad
			}
			c.StopSignal = sig
			return nil
		},
	},
	{
		name: "stop-timeout", env: "RESTART_STOP_TIMEOUT",
		want:  "a Go duration of 0 or more with a unit, e.g. 5s, 500ms or 0 (0 sends SIGKILL at once)",
		usage: "time the app gets to stop before every process of it gets SIGKILL (default 5s)",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return errBad
			}
			c.StopTimeout = d
			return nil
		},
	},
	{
		name: "watch", env: "RESTART_WATCH",
		want:  "comma-separated absolute directories, e.g. /app/src,/app/lib",
		usage: "directories watched recursively; changes under them restart the app once quiet for --debounce (default none)",
		set: func(c *Config, v string) error {
			var dirs []string
			for _, d := range strings.Split(v, ",") {
				if d == "" {
					continue
				}
				p, ok := cleanAbs(d)
				if !ok {
					return errBad
				}
				if dir := systemFolder(p, watchRefused); dir != "" || p == "/" {
					if dir == "" {
						dir = "/"
					}
					return notWanted("the app's own folders, e.g. /app/src: " + dir + " holds the system's files, " +
						"which change all the time (every restart would bring the next)")
				}
				if !contains(dirs, p) {
					dirs = append(dirs, p)
				}
			}
			c.Watch = dirs
			return nil
		},
	},
	{
		name: "debounce", env: "RESTART_DEBOUNCE",
		want:  "a Go duration from " + MinDebounce.String() + " to " + MaxDebounce.String() + ", e.g. 100ms",
		usage: "how long changes under --watch must be quiet before they restart the app; shorter restarts sooner, but may split a sync that deletes files into two restarts (default " + DefaultDebounce.String() + ")",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < MinDebounce || d > MaxDebounce {
				return errBad
			}
			c.Debounce = d
			return nil
		},
	},
	{
		name: "poll", env: "RESTART_POLL",
		want:  "0 (use inotify) or a Go duration of at least " + MinPoll.String() + ", e.g. 250ms",
		usage: "poll the trigger and watched directories at this interval instead of using inotify (default 0: inotify, polling only if inotify is unavailable)",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || (d > 0 && d < MinPoll) {
				return errBad
			}
			c.Poll = d
			return nil
		},
	},
	{
		name: "listen", env: "RESTART_LISTEN",
		want:  listenWant,
		usage: "sockets the supervisor opens once and hands to every generation as fds 3, 4, ... with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (systemd socket activation), so no connection is refused during a restart (default none)",
		set: func(c *Config, v string) error {
			list, err := parseListens(v)
			if err != nil {
				return errBad
			}
			c.Listen = list
			return nil
		},
	},
	{
		name: "quiet", env: "RESTART_QUIET", isBool: true,
		want:  "true or false (or 1 or 0)",
		usage: "print no event logs; errors are still printed",
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errBad
			}
			c.Quiet = b
			return nil
		},
	},
}

// Folders an option may not name. The trigger is created writable by every
// user, so it must not land among the system's files; a watch on the
// kernel's or the devices' folders would restart the app without end.
var (
	triggerRefused = []string{"/etc", "/usr", "/bin", "/sbin", "/lib*", "/proc", "/sys", "/dev", "/boot"}
	watchRefused   = []string{"/proc", "/sys", "/dev"}
)

// systemFolder returns the folder of folders that holds p (p itself
// included), or "". A name ending in * stands for every top-level folder
// that starts with it (/lib, /lib64, /libx32).
func systemFolder(p string, folders []string) string {
	for _, f := range folders {
		if prefix, ok := strings.CutSuffix(f, "*"); ok {
			top, _, _ := strings.Cut(p[1:], "/")
			if strings.HasPrefix("/"+top, prefix) {
				return "/" + top
			}
			continue
		}
		if p == f || strings.HasPrefix(p, f+"/") {
			return f
		}
	}
	return ""
}

// notWanted is a setter's error that says what is wanted instead of the
// option's general want.
type notWanted string

func (n notWanted) Error() string { return string(n) }

// wantFor returns what a setter's err says is wanted, else the option's
// general want.
func wantFor(want string, err error) string {
	if n, ok := err.(notWanted); ok {
		return string(n)
	}
	return want
}

// errBad is returned by option setters; the caller turns it into an
// OptionError that names the option or variable.
var errBad = errors.New("bad value")

func cleanAbs(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") || strings.IndexByte(p, 0) >= 0 {
		return "", false
	}
	return path.Clean(p), true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParseConfig parses the supervisor's options and returns the configuration
// and the app's command line (everything after "--", or from the first
// argument that is not an option). It is pure: it reads nothing but its
// arguments.
//
// args are the arguments without the program name. Options are spelled
// --name=value, --name value, or with a single dash, as with package flag;
// --quiet takes no separate value (--quiet=false does). A repeated --watch
// adds directories; other repeated options keep the last value.
//
// env holds "KEY=value" entries (os.Environ()). A RESTART_* variable
// overrides its option; an empty value counts as unset, except for
// RESTART_WATCH where it means no directories.
//
// An empty command is not an error here: the caller decides (the supervisor
// exits 127, the frontend validates options alone).
//
// Example:
//
//	cfg, argv, err := options.ParseConfig(
//		[]string{"--stop-timeout=1s", "--", "/app/server", "-v"}, os.Environ())
func ParseConfig(args, env []string) (Config, []string, error) {
	c := DefaultConfig()
	flags := make([]Flag, 0, len(options)+2)
	for i := range options {
		opt := &options[i]
		flags = append(flags, Flag{Name: opt.name, Inline: opt.isBool, Set: func(value string, hasValue bool) error {
			if !hasValue {
				value = "true" // a boolean given alone
			}
			prevWatch := c.Watch
			if err := opt.set(&c, value); err != nil {
				return &OptionError{Name: "--" + opt.name, Value: value, Want: wantFor(opt.want, err)}
			}
			if opt.name == "watch" { // a repeated --watch adds directories
				for _, d := range c.Watch {
					if !contains(prevWatch, d) {
						prevWatch = append(prevWatch, d)
					}
				}
				c.Watch = prevWatch
			}
			return nil
		}})
	}
	help := func(string, bool) error { return ErrHelp }
	flags = append(flags, Flag{Name: "h", Inline: true, Set: help}, Flag{Name: "help", Inline: true, Set: help})
	argv, err := ParseFlags(args, flags)
	if fe, ok := err.(*FlagError); ok {
		if fe.Missing != "" {
			return Config{}, nil, errors.New(fe.Error() + ": " + findOption(fe.Missing).want)
		}
		return Config{}, nil, errors.New(fe.Error() + "; options: " + optionList())
	}
	if err != nil {
		return Config{}, nil, err
	}
	if len(argv) > 0 && argv[0] == "--" {
		argv = argv[1:]
	}
	for _, opt := range options {
		v, ok := LookupEnv(env, opt.env)
		if !ok || (v == "" && opt.name != "watch") {
			continue
		}
		if err := opt.set(&c, v); err != nil {
			return Config{}, nil, &OptionError{Name: opt.env, Value: v, Want: wantFor(opt.want, err)}
		}
	}
	if len(c.Watch) == 0 {
		c.Watch = nil
	}
	if len(c.Listen) == 0 {
		c.Listen = nil
	}
	if len(argv) == 0 {
		argv = nil
	}
	return c, argv, nil
}

func findOption(name string) *option {
	for i := range options {
		if options[i].name == name {
			return &options[i]
		}
	}
	return nil
}

func optionList() string {
	var b strings.Builder
	for i, o := range options {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("--" + o.name)
	}
	return b.String()
}

// LookupEnv returns the last value of key in env ("KEY=value" entries), as
// the C library does not guarantee which duplicate wins but the shell and
// Go's os.Getenv take the last one.
func LookupEnv(env []string, key string) (string, bool) {
	v, ok := "", false
	for _, kv := range env {
		if len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key {
			v, ok = kv[len(key)+1:], true
		}
	}
	return v, ok
}

// Args renders every option explicitly, in a stable order with --trigger
// first, so that ParseConfig(c.Args(), nil) returns c. It does not add "--"
// or a command. The frontend uses it to bake options into the image's
// entrypoint.
//
// Example:
//
//	options.DefaultConfig().Args()
//	// [--trigger=/.restart-proc --exit-policy=exit --stop-signal=SIGTERM
//	//  --stop-timeout=5s --watch= --debounce=100ms --poll=0s --listen=
//	//  --quiet=false]
func (c Config) Args() []string {
	return []string{
		"--trigger=" + c.Trigger,
		"--exit-policy=" + string(c.ExitPolicy),
		"--stop-signal=" + SignalName(c.StopSignal),
		"--stop-timeout=" + c.StopTimeout.String(),
		"--watch=" + strings.Join(c.Watch, ","),
		"--debounce=" + c.Debounce.String(),
		"--poll=" + c.Poll.String(),
		"--listen=" + formatListens(c.Listen),
		"--quiet=" + strconv.FormatBool(c.Quiet),
	}
}

// EnvNames returns the environment variables the supervisor reads, in the
// order of its options. The frontend accepts the same names as build args.
func EnvNames() []string {
	names := make([]string, len(options))
	for i, o := range options {
		names[i] = o.env
	}
	return names
}

// Help renders every option with its environment variable, what it does and
// what it accepts, for the supervisor's help text.
func Help() string {
	var b strings.Builder
	for _, o := range options {
		b.WriteString("  --" + o.name)
		if !o.isBool {
			b.WriteString("=VALUE")
		}
		b.WriteString("  (env " + o.env + ")\n      " + o.usage + "\n      accepts " + o.want + "\n")
	}
	return b.String()
}

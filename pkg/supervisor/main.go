package supervisor

import (
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// Exit codes of the supervisor itself. Otherwise it exits with the app's
// code, or 128+N when the app was killed by signal N.
const (
	ExitUsage       = 2   // bad option or environment value
	ExitNotRunnable = 126 // the command exists but cannot be executed
	ExitNotFound    = 127 // no command, or the command was not found
)

// shimCommand is the hidden subcommand that runs the app with --listen
// sockets (listen_linux.go):
//
//	supervisor _listen-exec FILE ARGV0 ARGS...
const shimCommand = "_listen-exec"

// BuildInfo identifies the supervisor binary, for the version subcommand.
type BuildInfo struct {
	Version string // e.g. v0.1.0 or a git describe; "" reads as "dev"
}

// Main runs the supervisor with its arguments (without the program name) and
// returns its exit code.
//
//	supervisor [options] -- command [args...]
//	supervisor restart [--trigger=PATH]
//	supervisor version
//	supervisor help
func Main(args []string, info BuildInfo) int {
	return mainWith(args, info, os.Stdout, os.Stderr)
}

func mainWith(args []string, info BuildInfo, stdout, stderr io.Writer) int {
	log := newLogger(stderr, false)
	if len(args) > 0 {
		if sub := subcommand(args[0]); sub != nil {
			return sub(args[1:], info, stdout, log)
		}
	}
	cfg, argv, err := options.ParseConfig(args, os.Environ())
	if err == options.ErrHelp {
		io.WriteString(stdout, Usage())
		return 0
	}
	if err != nil {
		log.error(err.Error())
		return ExitUsage
	}
	if len(argv) == 0 {
		log.error("no command to run: the image has neither ENTRYPOINT nor CMD; " +
			"give one in the Dockerfile, or after -- on the command line (supervisor [options] -- command [args...])")
		return ExitNotFound
	}
	log.quiet = cfg.Quiet
	return run(cfg, argv, appEnv(os.Environ()), log)
}

// subcommandFunc runs a subcommand with the arguments after its name.
type subcommandFunc func(args []string, info BuildInfo, stdout io.Writer, log *logger) int

// subcommand returns the subcommand that the first argument names, or nil
// when the argument starts the options or the app's command line. It is the
// one list of subcommands.
func subcommand(arg string) subcommandFunc {
	switch arg {
	case "restart":
		return func(args []string, _ BuildInfo, stdout io.Writer, log *logger) int {
			return restartMain(args, stdout, log)
		}
	case shimCommand:
		return func(args []string, _ BuildInfo, _ io.Writer, log *logger) int { return shimMain(args, log) }
	case "version":
		return func(_ []string, info BuildInfo, stdout io.Writer, _ *logger) int {
			io.WriteString(stdout, versionString(info))
			return 0
		}
	case "help", "-h", "-help", "--help":
		return func(_ []string, _ BuildInfo, stdout io.Writer, _ *logger) int {
			io.WriteString(stdout, Usage())
			return 0
		}
	}
	return nil
}

// isSubcommand says whether the first argument names a subcommand rather
// than the app.
func isSubcommand(arg string) bool { return subcommand(arg) != nil }

func versionString(info BuildInfo) string {
	v := info.Version
	if v == "" {
		v = "dev"
	}
	return "supervisor " + v + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
}

// Usage returns the help text: every option with its environment variable.
func Usage() string {
	var b strings.Builder
	b.WriteString(`Usage:
  supervisor [options] -- command [args...]
      Run command, restart it when the trigger file or a watched directory
      changes, forward signals to it, reap zombies.
  supervisor restart [--trigger=PATH] [--wait[=TIMEOUT]] [--settle=DURATION]
                     [--ready=tcp:PORT]
      Restart the app of the supervisor running in this container. The
      trigger is --trigger, else $RESTART_TRIGGER, else the one of the
      supervisor running as PID 1, else ` + contract.DefaultTrigger + `.
      Without --wait it returns once the trigger is written.
      --wait[=TIMEOUT] waits until the new app has started and stayed up
      for --settle (default ` + DefaultSettle.String() + `), or with --ready=tcp:PORT until it
      accepts connections on that port of the loopback; TIMEOUT (default
      ` + DefaultWaitTimeout.String() + `) bounds the whole wait. It prints one line and exits 0
      when the app is up; else it names the failure and exits with the new
      app's code (128+N if killed by signal N, 126 or 127 if it could not
      be executed, 1 if it exited 0), 124 on timeout, 1 if no supervisor
      answers. The recommended live-update step, for Tilt:
        run(['` + contract.SupervisorPath + `', 'restart', '--wait'])
      and for Compose develop.watch (action: sync+exec):
        exec: {command: [` + contract.SupervisorPath + `, restart, --wait]}
  supervisor version
  supervisor help

Options (--name=value or --name value; each variable overrides its option):
`)
	b.WriteString(options.Help())
	b.WriteString(`
Every RESTART_* variable is removed from the app's environment.

Exit codes: the app's exit code, or 128+N if it was killed by signal N;
2 for a bad option; 126 if the command cannot be executed; 127 if there is
no command or it is not found.
`)
	return b.String()
}

// appEnv returns env without the RESTART_* variables.
func appEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, options.EnvPrefix) {
			out = append(out, kv)
		}
	}
	return out
}

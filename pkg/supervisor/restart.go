package supervisor

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// The restart subcommand, run inside the container (docker exec, kubectl
// exec, Tilt's run step, Compose's sync+exec) to restart the app of the
// supervisor that runs there.
//
//	supervisor restart [--trigger=PATH] [--wait[=TIMEOUT]] [--settle=DURATION] [--ready=tcp:PORT]

// Defaults of restart --wait.
const (
	// DefaultWaitTimeout bounds the whole wait: the old generation's stop
	// (5 s stop timeout by default), the start, and the settle time.
	DefaultWaitTimeout = 30 * time.Second
	// DefaultSettle is how long the new generation must stay up: long enough
	// for an app that crashes on start to crash.
	DefaultSettle = time.Second
)

// Exit codes of restart --wait besides the new app's own code (or 128+N,
// 126, 127). ExitWaitTimeout is timeout(1)'s.
const (
	ExitRestartFailed = 1   // the trigger could not be written, or no supervisor answers
	ExitWaitTimeout   = 124 // the new generation did not start, or was not ready, in time
)

const restartUsage = "usage: restart [--trigger=PATH] [--wait[=TIMEOUT]] [--settle=DURATION] [--ready=tcp:PORT]"

// restartArgs are the restart subcommand's options.
type restartArgs struct {
	trigger string        // --trigger; "" to find the supervisor's
	wait    bool          // wait for the outcome
	timeout time.Duration // --wait=TIMEOUT
	settle  time.Duration // --settle: how long the new generation must stay up
	ready   int           // --ready=tcp:PORT: wait for the port instead; 0 for none
}

// parseRestartArgs reads restart's options. --settle and --ready imply
// --wait; --wait takes its timeout only as --wait=TIMEOUT, as restart takes
// no other arguments that a separate value could be told from.
func parseRestartArgs(args []string) (restartArgs, error) {
	ra := restartArgs{timeout: DefaultWaitTimeout, settle: DefaultSettle}
	bad := func(name, value, want string) error {
		return &options.OptionError{Name: "--" + name, Value: value, Want: want}
	}
	rest, err := options.ParseFlags(args, []options.Flag{
		{Name: "trigger", Set: func(value string, _ bool) error {
			// The supervisor's own rule, and its own error naming --trigger.
			c, _, err := options.ParseConfig([]string{"--trigger=" + value}, nil)
			ra.trigger = c.Trigger
			return err
		}},
		{Name: "wait", Inline: true, Set: func(value string, hasValue bool) error {
			ra.wait = true
			if hasValue {
				d, err := time.ParseDuration(value)
				if err != nil || d <= 0 {
					return bad("wait", value, "a Go duration above 0, e.g. 30s or 2m")
				}
				ra.timeout = d
			}
			return nil
		}},
		{Name: "settle", Set: func(value string, _ bool) error {
			d, err := time.ParseDuration(value)
			if err != nil || d < 0 {
				return bad("settle", value, "a Go duration of 0 or more, e.g. 1s or 500ms")
			}
			ra.wait, ra.settle = true, d
			return nil
		}},
		{Name: "ready", Set: func(value string, _ bool) error {
			port, err := strconv.Atoi(strings.TrimPrefix(value, "tcp:"))
			if !strings.HasPrefix(value, "tcp:") || err != nil || port < 1 || port > 65535 {
				return bad("ready", value, "tcp:PORT, a port from 1 to 65535 on the container's loopback, e.g. tcp:8080")
			}
			ra.wait, ra.ready = true, port
			return nil
		}},
	})
	if fe, ok := err.(*options.FlagError); ok {
		if fe.Missing != "" {
			return ra, errors.New(fe.Error() + "; " + restartUsage)
		}
		rest = []string{fe.Arg}
	} else if err != nil {
		return ra, err
	}
	if len(rest) > 0 {
		return ra, errors.New("unknown argument " + options.Quote(rest[0]) + " to restart; " + restartUsage)
	}
	return ra, nil
}

// restartMain runs the restart subcommand.
func restartMain(args []string, stdout io.Writer, log *logger) int {
	ra, err := parseRestartArgs(args)
	if err != nil {
		log.error("restart: ", err.Error())
		return ExitUsage
	}
	p, from, err := triggerPath(ra.trigger, os.Environ(), readFile, peerProcesses)
	if err != nil {
		log.error("restart: ", err.Error())
		return ExitUsage
	}
	if ra.wait {
		return waitRestart(p, from, ra, stdout, log)
	}
	if err := touchTrigger(p, time.Now()); err != nil {
		log.error("restart: ", explainTouch(p, from, err))
		return ExitRestartFailed
	}
	return 0
}

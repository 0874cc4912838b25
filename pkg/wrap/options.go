package wrap

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// The frontend's options, given as build args. The supervisor's own settings
// share their names with its environment variables (RESTART_TRIGGER,
// RESTART_STOP_TIMEOUT, ...), so a value baked at build time can be
// overridden at run time by the same name.
//
// Don't forget to update the options table in README.md if you add one.
const (
	// argProcess switches the frontend off: RESTART_PROCESS=off builds
	// exactly what the upstream dockerfile frontend builds.
	argProcess = "RESTART_PROCESS"
	// argTools adds tar and rm for Tilt's live_update to images that lack
	// them: RESTART_TOOLS=on.
	argTools = "RESTART_TOOLS"
	// argStopSignal overrides the image's STOPSIGNAL as the restart signal.
	argStopSignal = "RESTART_STOP_SIGNAL"
	// argTrigger is the trigger file's path.
	argTrigger = "RESTART_TRIGGER"
)

// Options are the frontend's settings for one build.
type Options struct {
	// Enabled is false for RESTART_PROCESS=off.
	Enabled bool
	// Tools is true for RESTART_TOOLS=on.
	Tools bool
	// Supervisor holds the settings baked into the entrypoint.
	Supervisor options.Config
	// StopSignalSet says that RESTART_STOP_SIGNAL chose the stop signal;
	// otherwise the image's STOPSIGNAL applies, and SIGTERM without one.
	StopSignalSet bool
}

// Trigger is the absolute path of the trigger file.
func (o Options) Trigger() string { return o.Supervisor.Trigger }

// ParseOptions reads the frontend's options from args, which maps each
// option's name (RESTART_PROCESS, RESTART_TRIGGER, ...) to its value, and
// validates every value with the supervisor's own rules, so a value that
// builds is a value the supervisor accepts. A name it does not know is an
// error, not a silent typo.
//
// Example:
//
//	o, err := ParseOptions(map[string]string{"RESTART_TRIGGER": "/tmp/restart"})
func ParseOptions(args map[string]string) (Options, error) {
	o := Options{Enabled: true}
	var env []string
	var unknown []string
	for name, value := range args {
		switch {
		case name == argProcess || name == argTools:
			on, err := parseSwitch(value, name == argProcess)
			if err != nil {
				return o, errors.Wrapf(err, "invalid build arg %s=%q", name, value)
			}
			if name == argProcess {
				o.Enabled = on
			} else {
				o.Tools = on
			}
		case slices.Contains(options.EnvNames(), name):
			env = append(env, name+"="+value)
			o.StopSignalSet = o.StopSignalSet || (name == argStopSignal && value != "")
		default:
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return o, errors.Errorf("unknown build arg %s: build args starting with %s are this frontend's options; known ones are %s",
			strings.Join(unknown, ", "), options.EnvPrefix, strings.Join(knownArgs(), ", "))
	}
	cfg, _, err := options.ParseConfig(nil, env)
	if err != nil {
		return o, errors.Wrap(err, "invalid build arg")
	}
	if t := cfg.Trigger; t == contract.SupervisorDir || strings.HasPrefix(t, contract.SupervisorDir+"/") {
		// The trigger is copied in after the supervisor: it would replace
		// the binary with an empty file every user can write.
		return o, errors.Errorf("invalid build arg %s=%q: %s holds the supervisor; give a path outside it, e.g. %s",
			argTrigger, args[argTrigger], contract.SupervisorDir, contract.DefaultTrigger)
	}
	o.Supervisor = cfg
	return o, nil
}

// Flags renders the supervisor's command-line options for an image whose
// STOPSIGNAL is imageStopSignal ("" for none).
func (o Options) Flags(imageStopSignal string) ([]string, error) {
	cfg := o.Supervisor
	if !o.StopSignalSet && imageStopSignal != "" {
		sig, err := options.ParseSignal(imageStopSignal)
		if err != nil {
			return nil, errors.Wrapf(err, "the image's STOPSIGNAL %q is not a signal the supervisor can send; set the build arg %s", imageStopSignal, argStopSignal)
		}
		cfg.StopSignal = sig
	}
	return cfg.Args(), nil
}

// parseSwitch reads on or off; "" is the default.
func parseSwitch(v string, def bool) (bool, error) {
	switch strings.ToLower(v) {
	case "":
		return def, nil
	case "on", "true", "1":
		return true, nil
	case "off", "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("want on or off")
}

func knownArgs() []string {
	return append([]string{argProcess, argTools}, options.EnvNames()...)
}

// Package wrap rewrites an image config so that the image runs its own
// command under the restart supervisor.
//
// It is pure: an image config and [Options] in, an image config out. It knows
// nothing of BuildKit clients, so every shape of ENTRYPOINT and CMD can be
// tested as a table.
//
// The rewrite keeps CMD as it is and puts the supervisor in front of the
// original ENTRYPOINT:
//
//	Entrypoint: [/.restart/supervisor, --trigger=..., ..., --, <original Entrypoint...>]
//	Cmd:        <original Cmd...>
//
// so `docker run IMAGE args` and Kubernetes `args:` still replace CMD only.
// Labels under [contract.LabelPrefix] record what was done, for tools that
// inspect the image. Everything else in the config (Env, User, WorkingDir,
// ExposedPorts, Volumes, Healthcheck, StopSignal, Shell, OnBuild, ...) is left
// untouched.
//
// An image that was already wrapped (a base image built with this frontend,
// or a build forwarded through the frontend twice) is unwrapped first, so an
// image never runs two supervisors.
package wrap

import (
	"encoding/json"
	"slices"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

// argsSeparator ends the supervisor's options; the app's argv follows it.
const argsSeparator = "--"

// Image returns a copy of img whose Entrypoint runs the original command
// under the supervisor with the options o, labelled with the frontend
// version. img itself is not modified.
func Image(img dockerspec.DockerOCIImage, o Options, version string) (dockerspec.DockerOCIImage, error) {
	out, err := copyImage(img)
	if err != nil {
		return out, err
	}
	cfg := &out.Config
	entrypoint, _ := Unwrap(cfg.Entrypoint)
	flags, err := o.Flags(cfg.StopSignal)
	if err != nil {
		return out, err
	}
	cfg.Entrypoint = slices.Concat([]string{contract.SupervisorPath}, flags, []string{argsSeparator}, entrypoint)

	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Labels[contract.LabelVersion] = version
	cfg.Labels[contract.LabelSupervisor] = contract.SupervisorPath
	cfg.Labels[contract.LabelTrigger] = o.Trigger()
	cfg.Labels[contract.LabelEntrypoint] = jsonArray(entrypoint)
	cfg.Labels[contract.LabelCmd] = jsonArray(cfg.Cmd)
	return out, nil
}

// Unwrap returns the original entrypoint of an entrypoint this package
// wrapped, and whether it was wrapped at all. An entrypoint that does not
// start with the supervisor is returned as it is.
func Unwrap(entrypoint []string) ([]string, bool) {
	if len(entrypoint) == 0 || entrypoint[0] != contract.SupervisorPath {
		return entrypoint, false
	}
	i := slices.Index(entrypoint, argsSeparator)
	if i < 0 {
		// The supervisor without a separator is not our shape; leave it
		// alone rather than guess which words are the app's.
		return entrypoint, false
	}
	return slices.Clone(entrypoint[i+1:]), true
}

// copyImage deep-copies img through JSON, so maps and slices of the result
// can be changed without touching the caller's config.
func copyImage(img dockerspec.DockerOCIImage) (dockerspec.DockerOCIImage, error) {
	var out dockerspec.DockerOCIImage
	dt, err := json.Marshal(img)
	if err != nil {
		return out, errors.Wrap(err, "failed to copy image config")
	}
	if err := json.Unmarshal(dt, &out); err != nil {
		return out, errors.Wrap(err, "failed to copy image config")
	}
	return out, nil
}

func jsonArray(s []string) string {
	if s == nil {
		s = []string{}
	}
	dt, _ := json.Marshal(s) // a []string always marshals
	return string(dt)
}

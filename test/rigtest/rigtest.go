// Package rigtest holds what the test packages that need the rig share: the
// check in TestMain that the rig is there, and the connection to its
// buildkitd. The rig is brought up by `make test`, or by hand with
// `make rig image` and `eval "$(make -s rig-env)"`.
//
// Outside `make test` a test that lacks the rig skips, saying what is
// missing. Under `make test` (hack/test exports RIG_REQUIRED=1) it fails
// instead, unless the part of the rig it needs was switched off on purpose
// with its RIG_*=0 switch: a green `make test` cannot hide a lane that did
// nothing.
package rigtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/moby/buildkit/client"
)

// FrontendImage is where `make image` pushes the frontend, as the rig's
// daemons see it through the docker.io mirror.
const FrontendImage = "docker.io/tiltdev/restart-frontend:latest"

// RequiredVar, set to 1 by hack/test, makes a missing lane a failure.
const RequiredVar = "RIG_REQUIRED"

// switches maps a variable that the rig's environment sets only for an
// optional part of the rig to the RIG_* switch that turns that part off.
// The rig's other variables are always set.
var switches = map[string]string{
	"KUBECONFIG":    "RIG_K8S",
	"DOCKER29_HOST": "RIG_DOCKER29",
	"DOCKER29_CLI":  "RIG_DOCKER29",
}

// verdict is what a test does about the rig.
type verdict int

const (
	run verdict = iota
	skip
	fail
)

// decide says whether what (a package or a test) runs, skips or fails, and
// why, given the environment getenv, -short and the variables vars it
// needs.
func decide(getenv func(string) string, short bool, what string, vars []string) (verdict, string) {
	if short {
		return skip, what + ": skipped under -short"
	}
	// A part switched off skips even when its variable is set, so that
	// RIG_K8S=0 does not run the tests on whatever cluster KUBECONFIG names.
	for _, k := range vars {
		if sw := switches[k]; sw != "" && getenv(sw) == "0" {
			return switchedOff(what, sw)
		}
	}
	for _, k := range vars {
		if getenv(k) == "" {
			return missing(getenv, what, switches[k], k+" is not set")
		}
	}
	return run, ""
}

// missing says what happens to what when a part of the rig is missing for
// reason: it skips if its switch (may be "") was set to 0 on purpose or
// outside `make test`, and fails under `make test`.
func missing(getenv func(string) string, what, sw, reason string) (verdict, string) {
	if sw != "" && getenv(sw) == "0" {
		return switchedOff(what, sw)
	}
	if getenv(RequiredVar) == "1" {
		offer := "(this lane has no switch)"
		if sw != "" {
			offer = fmt.Sprintf("or switch this lane off on purpose with %s=0", sw)
		}
		return fail, fmt.Sprintf("%s: FAILED: %s, and make test (%s=1) runs every lane: bring the rig up with `make rig` %s",
			what, reason, RequiredVar, offer)
	}
	return skip, fmt.Sprintf("%s: skipped: %s; run `make test`, or `make rig image` and eval \"$(make -s rig-env)\"",
		what, reason)
}

func switchedOff(what, sw string) (verdict, string) {
	return skip, fmt.Sprintf("%s: skipped: switched off by %s=0", what, sw)
}

// Require runs the package pkg's tests only when the rig's environment
// variables vars are set: otherwise it exits the test binary, with status 0
// (skipped) outside `make test` or when their RIG_* switch is 0, with status
// 1 under `make test`. Call it first in TestMain.
func Require(pkg string, vars ...string) {
	flag.Parse()
	v, msg := decide(os.Getenv, testing.Short(), pkg, vars)
	exit(v, msg)
}

// Need is Require for one test: it skips or fails t, as Require would exit.
func Need(t *testing.T, what string, vars ...string) {
	t.Helper()
	v, msg := decide(os.Getenv, testing.Short(), what, vars)
	report(t, v, msg)
}

// Unavailable skips or fails t, as Need would, for a part of the rig that
// is missing for reason and that the switch sw turns off.
func Unavailable(t *testing.T, sw, reason string) {
	t.Helper()
	v, msg := missing(os.Getenv, t.Name(), sw, reason)
	report(t, v, msg)
}

func exit(v verdict, msg string) {
	switch v {
	case skip:
		fmt.Println(msg)
		os.Exit(0)
	case fail:
		fmt.Println(msg)
		os.Exit(1)
	}
}

func report(t *testing.T, v verdict, msg string) {
	t.Helper()
	switch v {
	case skip:
		t.Skip(msg)
	case fail:
		t.Fatal(msg)
	}
}

// BuildKit connects to the buildkitd at BUILDKIT_HOST, or exits the test
// binary with status 1 naming the address.
func BuildKit(pkg string) *client.Client {
	addr := os.Getenv("BUILDKIT_HOST")
	c, err := client.New(context.Background(), addr)
	if err != nil {
		fmt.Printf("%s: cannot reach buildkitd at %s: %v\n", pkg, addr, err)
		os.Exit(1)
	}
	return c
}

package e2e

import (
	"context"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// The Docker tests run on each of the rig's Docker daemons, as BuildKit's
// integration suite runs its tests on each worker: TestE2E/DAEMON/NAME runs
// the test function testNAME of dockerTests with DAEMON as its argument, and
// every docker command of the test goes through it (d.run, d.runContainer,
// d.build with "docker", compose); a container keeps the daemon it runs on.
//
//   - docker20: Debian's Docker Engine 20.10 at DOCKER_HOST, with the docker
//     CLI on PATH: BuildKit v0.8, no CurrentFrontend, no MergeOp, so the
//     frontend takes its fallback paths;
//   - docker29: Docker Engine 29 at DOCKER29_HOST with its own CLI
//     (DOCKER29_CLI), the containerd image store: CurrentFrontend, MergeOp,
//     attestations, multi-platform images. Its own tests are docker29Tests.
//
// Tests outside TestE2E run on docker20 (docker20()).

// daemon is one Docker daemon of the rig and the CLI that drives it.
type daemon struct {
	name string // the element of the test names: docker20, docker29
	host string // its DOCKER_HOST
	cli  string // the docker CLI to drive it with
	// modern says that its BuildKit has CurrentFrontend and MergeOp and
	// that its image store is containerd's: docker29Tests run on it.
	modern bool
}

// rigDaemons are the rig's Docker daemons, docker20 first; docker29 has no
// host when the rig runs without it (RIG_DOCKER29=0).
var rigDaemons = sync.OnceValue(func() []*daemon {
	return []*daemon{
		{name: "docker20", host: os.Getenv("DOCKER_HOST"), cli: "docker"},
		{name: "docker29", host: os.Getenv("DOCKER29_HOST"), cli: os.Getenv("DOCKER29_CLI"), modern: true},
	}
})

// dockerTest is a test body that runs on the daemon d.
type dockerTest func(t *testing.T, d *daemon)

// dockerTests run on every daemon.
var dockerTests = []dockerTest{
	testHelloLiveUpdate,
	testExampleGoServer, testExampleShell, testExamplePython, testExampleScratch, testExampleScratchTilt,
	testExamplesOtherBuilders,
	testComposeShell, testComposeWatchPython,
	testTriggerStorm, testAppIgnoringSIGTERMIsKilled, testGrandchildrenDoNotSurvive, testPortIsFreeAfterEveryRestart,
	testZombiesAreReapedAsPID1, testCrashWithExitPolicyExit, testCrashWithExitPolicyContinue, testTriggerChanges,
	testReadOnlyRootFilesystem, testSupervisorKilledFromTheHost, testNoCommandExits127, testTriggerContentIsNeverRun,
	testNonRootCannotReplaceTheSupervisor,
	testAnyUserCanTrigger, testLiveUpdateWithoutShellOrTar, testWrapBuiltImage,
	testSupervisorPaths, testStatusSocketNeighbour,
}

// TestE2E runs dockerTests on each daemon, one daemon after the other (each
// test's parallel part in parallel with the others'), and docker29Tests on
// docker29.
func TestE2E(t *testing.T) {
	for _, d := range rigDaemons() {
		begin := time.Now()
		t.Run(d.name, func(t *testing.T) {
			if d.host == "" {
				rigtest.Need(t, d.name, "DOCKER29_HOST")
			}
			tests := dockerTests
			if d.modern {
				tests = append(tests[:len(tests):len(tests)], docker29Tests...)
			}
			for _, test := range tests {
				t.Run(testName(test), func(t *testing.T) { test(t, d) })
			}
		})
		// For hack/test's summary, not an assertion: the parallel tests
		// make the subtest's own reported time only its serial part.
		t.Logf("%s: the suite took %s", d.name, time.Since(begin).Round(time.Second))
	}
}

// testName is NAME for the function testNAME.
func testName(test dockerTest) string {
	name := runtime.FuncForPC(reflect.ValueOf(test).Pointer()).Name()
	return strings.TrimPrefix(name[strings.LastIndex(name, ".")+1:], "test")
}

// docker20 is the daemon of the tests outside TestE2E.
func docker20() *daemon { return rigDaemons()[0] }

// command is args as a command on d: a "docker" command runs d's CLI with
// DOCKER_HOST naming d, any other runs as it is.
func (d *daemon) command(ctx context.Context, args ...string) *exec.Cmd {
	if args[0] != "docker" {
		return exec.CommandContext(ctx, args[0], args[1:]...)
	}
	cmd := exec.CommandContext(ctx, d.cli, args[1:]...)
	cmd.Env = d.env()
	return cmd
}

// env is the test's environment with DOCKER_HOST naming d.
func (d *daemon) env() []string { return append(os.Environ(), "DOCKER_HOST="+d.host) }

// tag is the tag of the images a test builds with builder on d: the
// rig's buildkitd pushes them to the one registry both daemons pull from.
func (d *daemon) tag(builder string) string {
	if d == docker20() {
		return builder
	}
	return builder + "-" + d.name
}

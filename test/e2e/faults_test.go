package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Faults users hit (../shared/anchors.md, "Pitfalls"), in containers on the
// rig: trigger storms, apps that ignore SIGTERM, grandchildren and daemons,
// ports held across restarts, zombies, crashes under both exit policies, a
// trigger deleted, renamed over or in a read-only folder, a read-only root
// filesystem, the supervisor SIGKILLed from the host, an image with no
// command, and what a non-root user may do to the supervisor and the
// trigger. The host-level process tests (pkg/supervisor/process_test.go)
// cover the same faults on one machine; these check them in the image the
// frontend builds, as PID 1. There are no timing assertions: every wait has
// only a generous hang guard.
//
// A non-root USER and another runtime uid are in users_test.go.

// faultApp is one generation of the test app; the words of $MODE choose its
// fault. Every generation checks that no process of an earlier one is alive
// (the pid files under /tmp/pids), prints "gen N" with the trigger's content,
// then waits on a sleep named after its generation.
const faultApp = `#!/bin/sh
has() { case " $MODE " in *" $1 "*) return 0 ;; esac; return 1; }
n=$(( $(cat /tmp/gen 2>/dev/null || echo 0) + 1 ))
echo $n > /tmp/gen
mkdir -p /tmp/pids
for f in /tmp/pids/*; do
  [ -e "$f" ] || continue
  if kill -0 "${f##*/}" 2>/dev/null; then echo "OVERLAP: pid ${f##*/} of an earlier generation is alive in gen $n"; else rm -f "$f"; fi
done
: > /tmp/pids/$$
echo "gen $n pid $$ trigger=$(cat "${TRIGGER:-/.restart-proc}" 2>/dev/null)"
if has ignore-term; then trap '' TERM; fi
if has children; then
  sleep 2000$n & : > /tmp/pids/$!
  setsid sleep 3000$n & : > /tmp/pids/$!
  (setsid sleep 4000$n &)
  echo "gen $n children started"
fi
if has orphans; then
  i=0
  while [ $i -lt 20 ]; do (usleep 1500000 &); i=$((i+1)); done
  echo "gen $n orphans spawned"
fi
if has port; then
  mkdir -p /tmp/www && echo "$n" > /tmp/www/index.html
  setsid httpd -f -p 127.0.0.1:8080 -h /tmp/www || { echo "gen $n BIND FAILED"; : > /tmp/bind-failed; }
fi
if has crash; then
  while [ ! -e /tmp/crash ]; do usleep 20000; done
  echo "gen $n crashing"
  exit 7
fi
sleep 1000$n & : > /tmp/pids/$!
wait
`

var faultImages struct {
	sync.Mutex
	built map[string]string // daemon name and Dockerfile → image
}

// faultImage builds a Dockerfile (the app is beside it as /app/app.sh) once
// for every test of this file, with docker build through the frontend image.
func faultImage(t *testing.T, d *daemon, name, dockerfile string) string {
	t.Helper()
	faultImages.Lock()
	defer faultImages.Unlock()
	key := d.name + "\n" + dockerfile
	if img, ok := faultImages.built[key]; ok {
		return img
	}
	dir := t.TempDir()
	for file, content := range map[string]string{"Dockerfile": dockerfile, "app.sh": faultApp} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	img := d.build(t, "docker", dir, name)
	if faultImages.built == nil {
		faultImages.built = map[string]string{}
	}
	faultImages.built[key] = img
	return img
}

// appImage is busybox with the fault app as its ENTRYPOINT.
func appImage(t *testing.T, d *daemon) string {
	return faultImage(t, d, "faults", "# syntax=tiltdev/restart-frontend\nFROM busybox\nCOPY app.sh /app/app.sh\nENTRYPOINT [\"/app/app.sh\"]\n")
}

// testTriggerStorm writes the trigger 1,000 times in a burst: no two
// generations are ever alive together, far fewer restarts than triggers
// happen, and one generation runs when it is over.
func testTriggerStorm(t *testing.T, d *daemon) {
	c := d.runContainer(t, appImage(t, d))
	c.waitLog("gen 1 ", 1)
	// 1,000 writes from one process, as fast as the shell goes.
	begin := time.Now()
	c.exec(nil, "sh", "-c", `i=0; while [ $i -lt 1000 ]; do echo "storm $i" > /.restart-proc; i=$((i+1)); done`)
	took := time.Since(begin) // docker exec included
	// A marker renamed onto the trigger: its content is there when the
	// next generation reads it (a write's first event, the truncation,
	// restarts the app before the content is written).
	c.exec(nil, "sh", "-c", "echo settled > /.settled && mv /.settled /.restart-proc")
	c.waitLog("trigger=settled", 1)
	c.waitFaultProcs("exactly one generation running", func(ps []faultProc) bool {
		return countArgs(ps, appArgs) == 1 && countArgsPrefix(ps, "sleep 1000") == 1
	})

	logs := c.logs()
	if strings.Contains(logs, "OVERLAP") {
		t.Errorf("two generations were alive at once:\n%s", grepLines(logs, "OVERLAP"))
	}
	starts := strings.Count(logs, "[restart] started pid ")
	if starts > 1000+2 {
		t.Errorf("%d generations for 1,001 triggers", starts)
	}
	if got := c.inspect("{{.State.Running}}"); got != "true" {
		t.Errorf("the container is not running: %s", got)
	}
	t.Logf("1,000 triggers in %s (docker exec included), then one more, made %d restarts", took.Round(time.Millisecond), starts-1)
}

// testAppIgnoringSIGTERMIsKilled: an app (and its child) that ignore
// SIGTERM are killed after the stop timeout, set at run time, and the
// restart goes on.
func testAppIgnoringSIGTERMIsKilled(t *testing.T, d *daemon) {
	t.Parallel()
	c := d.runContainer(t, "-e", "MODE=ignore-term", "-e", "RESTART_STOP_TIMEOUT=1s", appImage(t, d))
	c.waitLog("gen 1 ", 1)
	c.exec(nil, "touch", "/.restart-proc")
	c.waitLog("gen 2 ", 1)
	c.waitLog("processes after 1s stop timeout", 1)
	if ps := c.faultProcs(); countArgs(ps, "sleep 10001") != 0 {
		t.Errorf("the first generation's sleep survived: %v", ps)
	}
}

// testGrandchildrenDoNotSurvive: a child in the app's process group, one
// in its own session and a double-forked daemon (reparented to PID 1); none
// is alive after a restart, whether they stop on SIGTERM or need SIGKILL.
func testGrandchildrenDoNotSurvive(t *testing.T, d *daemon) {
	for _, mode := range []string{"children", "children ignore-term"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			c := d.runContainer(t, "-e", "MODE="+mode, "-e", "RESTART_STOP_TIMEOUT=1s", appImage(t, d))
			c.waitLog("gen 1 children started", 1)
			gen1 := []string{"sleep 20001", "sleep 30001", "sleep 40001"}
			c.waitFaultProcs("the first generation's children", func(ps []faultProc) bool {
				for _, a := range gen1 {
					if countArgs(ps, a) != 1 {
						return false
					}
				}
				return true
			})
			c.exec(nil, "touch", "/.restart-proc")
			c.waitLog("gen 2 children started", 1)
			ps := c.faultProcs()
			for _, a := range gen1 {
				if countArgs(ps, a) != 0 {
					t.Errorf("%q of the first generation survived the restart: %v", a, ps)
				}
			}
			if strings.Contains(c.logs(), "OVERLAP") {
				t.Errorf("two generations were alive at once:\n%s", c.logs())
			}
		})
	}
}

// testPortIsFreeAfterEveryRestart restarts an app whose port is held by a
// process in its own session 100 times in a row: every generation binds it.
func testPortIsFreeAfterEveryRestart(t *testing.T, d *daemon) {
	c := d.runContainer(t, "-e", "MODE=port", appImage(t, d))
	c.waitLog("gen 1 ", 1)
	// One exec: trigger, then wait until the new generation serves the port
	// (a hang guard of 30s for each), 100 times.
	out := c.exec(nil, "sh", "-c", `
i=0
while [ $i -lt 100 ]; do
  want=$(( $(cat /tmp/gen) + 1 ))
  echo "restart $i" > /.restart-proc
  tries=0
  while :; do
    got=$(printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 127.0.0.1 8080 2>/dev/null | tail -n 1)
    [ -n "$got" ] && [ "$got" -ge $want ] && break
    [ -e /tmp/bind-failed ] && { echo "bind failed"; exit 1; }
    tries=$((tries+1)); [ $tries -gt 3000 ] && { echo "gen $want never served"; exit 1; }
    usleep 10000
  done
  i=$((i+1))
done
echo "served by $(cat /tmp/gen) generations"`)
	if !strings.Contains(out, "served by ") {
		t.Fatalf("the restart loop failed: %s\n%s", out, c.logs())
	}
	if logs := c.logs(); strings.Contains(logs, "BIND FAILED") || strings.Contains(logs, "in use") || strings.Contains(logs, "OVERLAP") {
		t.Errorf("a generation could not bind the port:\n%s", logs)
	}
	t.Log(strings.TrimSpace(out))
}

// testZombiesAreReapedAsPID1: orphans reparented to the supervisor are
// reaped when they exit, before and after a restart.
func testZombiesAreReapedAsPID1(t *testing.T, d *daemon) {
	t.Parallel()
	c := d.runContainer(t, "-e", "MODE=orphans", appImage(t, d))
	for gen := 1; gen <= 2; gen++ {
		c.waitLog("gen "+strconv.Itoa(gen)+" orphans spawned", 1)
		if ps := c.faultProcs(); countArgsPrefix(ps, orphanArgs) == 0 {
			t.Logf("the orphans were gone before ps ran: %v", ps) // a slow exec; the check below still holds
		}
		c.waitFaultProcs("the orphans exited and were reaped", func(ps []faultProc) bool {
			return countArgsPrefix(ps, orphanArgs) == 0 && countStat(ps, "Z") == 0
		})
		if gen == 1 {
			c.exec(nil, "touch", "/.restart-proc")
		}
	}
}

// testCrashWithExitPolicyExit: the container exits with the app's code.
func testCrashWithExitPolicyExit(t *testing.T, d *daemon) {
	t.Parallel()
	c := d.runContainer(t, "-e", "MODE=crash", appImage(t, d))
	c.waitLog("gen 1 ", 1)
	c.exec(nil, "touch", "/tmp/crash")
	if code := c.waitExitCode(); code != "7" {
		t.Errorf("the container exited with %s, want the app's 7", code)
	}
	c.waitLog("exited with code 7", 1)
}

// testCrashWithExitPolicyContinue: the container stays up after the app
// crashes, keeps the files synced into it, and the next trigger restarts it.
func testCrashWithExitPolicyContinue(t *testing.T, d *daemon) {
	t.Parallel()
	c := d.runContainer(t, "-e", "MODE=crash", "-e", "RESTART_EXIT_POLICY=continue", appImage(t, d))
	c.waitLog("gen 1 ", 1)
	c.exec(tarOf(t, map[string][]byte{"app/synced.txt": []byte("synced before the crash")}), "tar", "-C", "/", "-x", "-f", "-")
	c.exec(nil, "touch", "/tmp/crash")
	c.waitLog("waiting for a trigger", 1)
	if got := c.inspect("{{.State.Running}}"); got != "true" {
		t.Fatalf("the container stopped after the crash: running=%s", got)
	}
	if got := c.exec(nil, "cat", "/app/synced.txt"); got != "synced before the crash" {
		t.Errorf("the synced file holds %q", got)
	}
	c.exec(nil, "rm", "/tmp/crash")
	c.exec(nil, "touch", "/.restart-proc")
	c.waitLog("gen 2 ", 1)
}

// testTriggerChanges: a trigger in a read-only folder, deleted and
// recreated, and replaced by a rename; the supervisor follows each, and the
// restart command says clearly why it cannot write a deleted trigger in a
// folder it may not write.
func testTriggerChanges(t *testing.T, d *daemon) {
	t.Parallel()
	const trig = "/tmp/trig/restart"
	c := d.runContainer(t, "-e", "RESTART_TRIGGER="+trig, "-e", "TRIGGER="+trig, appImage(t, d))
	c.waitLog("gen 1 ", 1)
	asNobody := func(args ...string) (string, error) {
		return c.d.tryRun(nil, append([]string{"docker", "exec", "-u", "nobody", c.id}, args...)...)
	}

	// The supervisor created the trigger 0666: nobody may write it in a
	// folder nobody may write.
	c.exec(nil, "chmod", "0555", "/tmp/trig")
	c.waitRestart(func() {
		if out, err := asNobody("sh", "-c", "echo read-only-folder > "+trig); err != nil {
			t.Fatalf("nobody cannot write the trigger: %v %s", err, out)
		}
	})
	c.waitRestart(func() {
		if out, err := asNobody("/.restart/supervisor", "restart"); err != nil {
			t.Fatalf("restart as nobody: %v %s", err, out)
		}
	})

	// Deleted: the restart command cannot create it there, and says why.
	c.exec(nil, "rm", trig)
	out, err := asNobody("/.restart/supervisor", "restart")
	if err == nil || !strings.Contains(out+err.Error(), "cannot write the trigger "+trig) || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("restart as nobody with no trigger in a read-only folder: %v %s", err, out)
	}
	if got := c.inspect("{{.State.Running}}"); got != "true" {
		t.Fatalf("the container stopped: running=%s", got)
	}
	// Recreated.
	c.waitRestart(func() { c.exec(nil, "sh", "-c", "echo recreated > "+trig) })

	// Replaced by a rename, then written again: the supervisor watches the
	// path, not the file it first saw.
	c.exec(nil, "chmod", "0755", "/tmp/trig")
	c.exec(nil, "sh", "-c", "echo renamed > /tmp/trig/.new && mv /tmp/trig/.new "+trig)
	c.waitLog("trigger=renamed", 1)
	c.waitRestart(func() { c.exec(nil, "sh", "-c", "echo after-rename > "+trig) })
	if strings.Contains(c.logs(), "OVERLAP") {
		t.Errorf("two generations were alive at once:\n%s", c.logs())
	}
}

// testReadOnlyRootFilesystem: the trigger on a writable tmpfs, chosen at run
// time; the supervisor creates it there.
func testReadOnlyRootFilesystem(t *testing.T, d *daemon) {
	t.Parallel()
	c := d.runContainer(t, "--read-only", "--tmpfs", "/tmp", "-e", "RESTART_TRIGGER=/tmp/restart", "-e", "TRIGGER=/tmp/restart", appImage(t, d))
	c.waitLog("gen 1 ", 1)
	c.waitRestart(func() { c.exec(nil, "sh", "-c", "echo read-only-root > /tmp/restart") })
	c.waitRestart(func() { c.exec(nil, "/.restart/supervisor", "restart") }) // finds the trigger in its environment
	if logs := c.logs(); strings.Contains(logs, "cannot") {
		t.Errorf("the supervisor complained:\n%s", logs)
	}
}

// testSupervisorKilledFromTheHost: SIGKILL to PID 1 ends the container, its
// daemons included; nothing hangs.
func testSupervisorKilledFromTheHost(t *testing.T, d *daemon) {
	t.Parallel()
	c := d.runContainer(t, "-e", "MODE=children ignore-term", appImage(t, d))
	c.waitLog("gen 1 children started", 1)
	d.run(t, nil, "docker", "kill", "-s", "KILL", c.id)
	if code := c.waitExitCode(); code != "137" {
		t.Errorf("the container exited with %s, want 137 (SIGKILL)", code)
	}
}

// testNoCommandExits127: an image with neither ENTRYPOINT nor CMD builds;
// the supervisor exits 127 and says what is missing.
func testNoCommandExits127(t *testing.T, d *daemon) {
	t.Parallel()
	img := faultImage(t, d, "faults-no-command", "# syntax=tiltdev/restart-frontend\nFROM busybox\nCMD []\n")
	c := d.runContainer(t, img)
	if code := c.waitExitCode(); code != "127" {
		t.Errorf("the container exited with %s, want 127", code)
	}
	c.waitLog("no command to run: the image has neither ENTRYPOINT nor CMD", 1)
}

// testTriggerContentIsNeverRun: whatever a user writes into the trigger, the
// supervisor only restarts the app; the trigger stays a plain 0666 file.
func testTriggerContentIsNeverRun(t *testing.T, d *daemon) {
	t.Parallel()
	c := d.runContainer(t, appImage(t, d))
	c.waitLog("gen 1 ", 1)
	for _, content := range []string{"#!/bin/sh\ntouch /tmp/pwned-script\n", "touch /tmp/pwned-command; exit 3"} {
		c.waitRestart(func() {
			d.run(t, []byte(content), "docker", "exec", "-i", "-u", "nobody", c.id, "sh", "-c", "cat > /.restart-proc")
		})
	}
	if out, err := c.d.tryRun(nil, "docker", "exec", c.id, "sh", "-c", "ls /tmp/pwned-* 2>/dev/null"); err == nil {
		t.Errorf("the trigger's content ran: %s", out)
	}
	if got := strings.TrimSpace(c.exec(nil, "stat", "-c", "%a %u:%g %F", "/.restart-proc")); got != "666 0:0 regular file" {
		t.Errorf("the trigger is %q, want 666 0:0 regular file", got)
	}
}

// testNonRootCannotReplaceTheSupervisor: the supervisor runs as the
// container's user with no privileges, and that user can neither write,
// delete nor move the supervisor or its folder.
func testNonRootCannotReplaceTheSupervisor(t *testing.T, d *daemon) {
	t.Parallel()
	c := d.runContainer(t, "-u", "1234:1234", appImage(t, d))
	c.waitLog("gen 1 ", 1)
	status := c.exec(nil, "cat", "/proc/1/status")
	for _, want := range []string{"Uid:\t1234\t1234\t1234\t1234", "Gid:\t1234\t1234\t1234\t1234", "CapEff:\t0000000000000000"} {
		if !strings.Contains(status, want) {
			t.Errorf("PID 1's status lacks %q:\n%s", want, status)
		}
	}
	for _, attempt := range [][]string{
		{"sh", "-c", "echo evil > /.restart/supervisor"},
		{"rm", "-f", "/.restart/supervisor"},
		{"mv", "/.restart", "/restart-moved"},
		{"cp", "/bin/busybox", "/.restart/evil"},
		{"chmod", "0777", "/.restart/supervisor"},
	} {
		if out, err := c.d.tryRun(nil, append([]string{"docker", "exec", c.id}, attempt...)...); err == nil {
			t.Errorf("uid 1234 could %q: %s", attempt, out)
		}
	}
	if got := strings.TrimSpace(c.exec(nil, "stat", "-c", "%a %u:%g", "/.restart", "/.restart/supervisor")); got != "755 0:0\n755 0:0" {
		t.Errorf("/.restart and the supervisor are %q, want 755 0:0", got)
	}
	c.exec(nil, "/.restart/supervisor", "restart")
	c.waitLog("gen 2 ", 1)
}

// TestFrontendImageHasNoNetwork: BuildKit runs the frontend with no network
// when its image says so.
func TestFrontendImageHasNoNetwork(t *testing.T) {
	d := docker20()
	t.Parallel()
	out := d.run(t, nil, "crane", "config", "--insecure", os.Getenv("RIG_REGISTRY")+"/tiltdev/restart-frontend:latest")
	var cfg struct {
		Config struct{ Labels map[string]string }
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatal(err)
	}
	if got := cfg.Config.Labels["moby.buildkit.frontend.network.none"]; got != "true" {
		t.Errorf("moby.buildkit.frontend.network.none = %q, want true; labels %v", got, cfg.Config.Labels)
	}
}

// How busybox ps shows the app's leader (its command name in braces: the
// script runs through its #! line) and the orphans (applets that busybox sh
// runs in a fork of itself).
const (
	appArgs    = "{app.sh} /bin/sh /app/app.sh"
	orphanArgs = "{usleep} "
)

// faultProc is a process of a container as busybox ps shows it.
type faultProc struct {
	pid, ppid, stat, args string
}

// faultProcs lists the container's processes, but the ps that lists them.
func (c *container) faultProcs() []faultProc {
	c.t.Helper()
	out := c.exec(nil, "ps", "-o", "pid,ppid,stat,args")
	var ps []faultProc
	for _, line := range strings.Split(out, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		p := faultProc{pid: f[0], ppid: f[1], stat: f[2], args: strings.Join(f[3:], " ")}
		if p.args != "ps -o pid,ppid,stat,args" {
			ps = append(ps, p)
		}
	}
	return ps
}

// waitFaultProcs waits until the container's processes satisfy ok.
func (c *container) waitFaultProcs(what string, ok func([]faultProc) bool) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute) // a hang guard
	for {
		ps := c.faultProcs()
		if ok(ps) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("never %s: %v\n%s", what, ps, c.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitRestart waits until no restart is under way, runs do, and waits for
// the app's next generation.
func (c *container) waitRestart(do func()) {
	c.t.Helper()
	n := 0
	deadline := time.Now().Add(time.Minute) // a hang guard
	for {
		// Every generation so far started its app, and no restart was
		// asked for since the last one.
		logs := c.logs()
		n = strings.Count(logs, "[restart] started pid ")
		if n > 0 && strings.Count(logs, "[restart] restart requested: ") == n-1 && strings.Contains(logs, "gen "+strconv.Itoa(n)+" pid ") {
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("a restart never ended:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	do()
	c.waitLog("gen "+strconv.Itoa(n+1)+" pid ", 1)
}

// waitExitCode waits for the container to exit and returns its code.
func (c *container) waitExitCode() string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard
	defer cancel()
	out, err := c.d.command(ctx, "docker", "wait", c.id).CombinedOutput()
	if err != nil {
		c.t.Fatalf("docker wait: %v %s\n%s", err, out, c.logs())
	}
	return strings.TrimSpace(string(out))
}

func countArgs(ps []faultProc, args string) int {
	n := 0
	for _, p := range ps {
		if p.args == args {
			n++
		}
	}
	return n
}

func countArgsPrefix(ps []faultProc, prefix string) int {
	n := 0
	for _, p := range ps {
		if strings.HasPrefix(p.args, prefix) {
			n++
		}
	}
	return n
}

func countStat(ps []faultProc, state string) int {
	n := 0
	for _, p := range ps {
		if strings.HasPrefix(p.stat, state) {
			n++
		}
	}
	return n
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

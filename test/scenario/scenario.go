// Package scenario holds the live update of each example of examples/,
// written once as data: what its Tiltfile builds, what the first version
// prints, the code change, the sync, delete and run steps of its
// live_update, and what the new code prints. test/e2e plays each scenario
// against a container on a Docker daemon (Tilt's Docker path) and test/k8s
// against the container of a pod (Tilt's Kubernetes path, pods/exec), both
// through Target.
package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// Target is the container a live update goes to.
type Target interface {
	// Exec runs argv in the container as its user, as Tilt's exec does,
	// with stdin when it is not nil, and returns its stdout; its error
	// carries stderr.
	Exec(stdin []byte, argv ...string) (string, error)
	// Output is the container's output, followed from its start.
	Output() *rigtest.Output
}

// Edit replaces Old by New in File, once: a change to the example's code.
type Edit struct{ File, Old, New string }

// Sync is a Tiltfile sync(Local, Container) step for the files Files under
// the example's folder Local.
type Sync struct {
	Local, Container string
	Files            []string
}

// Example is one example's live update, as its Tiltfile has Tilt do it.
type Example struct {
	Name      string   // its folder under examples/
	Target    string   // the Dockerfile stage the Tiltfile builds; the last when empty
	BuildArgs []string // the Tiltfile's build_args, NAME=VALUE
	Binary    string   // the Go program its local_resource compiles on the host, if any
	User      string   // the uid the live update's steps run as, when the image says
	Started   []string // what the first version prints, in this order
	Procs     []string // what the first version's processes' command lines hold

	// The change: Edits and Writes to the example's files, Removes (which
	// Tilt deletes in the container as Deletes), then Binary compiled again.
	Edits   []Edit
	Writes  map[string]string // file → content
	Removes []string
	Deletes []string
	Syncs   []Sync
	Run     [][]string // the run steps as argv; a Tiltfile string is sh -c STRING

	Updated []string // what the new code prints, in this order
	// Check, when set, checks the new code's output further; started and
	// updated are the lines of Started and Updated.
	Check func(t *testing.T, out *rigtest.Output, started, updated []string)
}

// The examples of examples/, as their Tiltfiles update them.
var (
	// GoServer: the binary is compiled on the host, the dev target takes
	// it, and the live update syncs build/app to /app/app and runs
	// `restart --wait` in the list form, as the image's non-root USER. The
	// old server shuts down gracefully before the new one starts.
	GoServer = Example{
		Name: "go-server", Target: "dev", Binary: "build/app", User: "10001",
		Started: []string{"go-server v1 pid "},
		Edits:   []Edit{{"main.go", `const version = "v1"`, `const version = "v2"`}},
		Syncs:   []Sync{{"build", "/app", []string{"app"}}},
		Run:     [][]string{{"/.restart/supervisor", "restart", "--wait"}},
		Updated: []string{"go-server v2 pid "},
		Check: func(t *testing.T, out *rigtest.Output, started, updated []string) {
			t.Helper()
			stopped := "go-server v1 pid " + rigtest.PidIn(t, started[0]) + ": shut down cleanly"
			out.Wait(stopped)
			if all := out.String(); strings.Index(all, stopped) > strings.Index(all, updated[0]) {
				t.Errorf("v1 did not shut down before v2 started; want %q first:\n%s", stopped, all)
			}
		},
	}

	// Shell, on its shell-form CMD: a changed script and a new message are
	// synced, a deleted message is removed with rm -rf, and the trigger
	// restarts both the shell and the script it runs.
	Shell = Example{
		Name:    "shell",
		Started: []string{"ticker version 1, pid ", "message old: "},
		Procs:   []string{"/bin/sh -c ", "ticker.sh"},
		Edits:   []Edit{{"ticker.sh", "version=1", "version=2"}},
		Writes:  map[string]string{"messages/new.txt": "synced by the live update\n"},
		Removes: []string{"messages/old.txt"},
		Deletes: []string{"/app/messages/old.txt"},
		Syncs:   []Sync{{".", "/app", []string{"ticker.sh", "messages/new.txt"}}},
		Run:     [][]string{{"sh", "-c", "date > /.restart-proc"}},
		Updated: []string{"ticker version 2, pid "},
		Check: func(t *testing.T, out *rigtest.Output, _, updated []string) {
			t.Helper()
			end := "ticker pid " + rigtest.PidIn(t, updated[0]) + ": "
			out.Wait(end)
			all := out.String()
			listing := all[strings.Index(all, updated[0]):]
			listing = listing[:strings.Index(listing, end)]
			if !strings.Contains(listing, "message new: synced by the live update") || strings.Contains(listing, "message old:") {
				t.Errorf("v2 listed the wrong messages, want new.txt and no old.txt:\n%s", listing)
			}
		},
	}

	// Python, built with RESTART_WATCH=/app and RESTART_EXIT_POLICY=continue:
	// the live update is a sync alone.
	Python = Example{
		Name:      "python",
		BuildArgs: []string{"RESTART_WATCH=/app", "RESTART_EXIT_POLICY=continue"},
		Started:   []string{"python v1 pid "},
		Edits:     []Edit{{"app/greeting.py", `VERSION = "v1"`, `VERSION = "v2"`}},
		Syncs:     []Sync{{"app", "/app", []string{"greeting.py"}}},
		Updated:   []string{"python v2 pid "},
	}

	// Scratch: the dev target (the host-compiled counter) built with
	// RESTART_TOOLS=on, so that Tilt's tar sync works on scratch, and the
	// list-form run step, which needs no shell.
	Scratch = Example{
		Name: "scratch", Target: "dev", BuildArgs: []string{"RESTART_TOOLS=on"}, Binary: "build/counter",
		Started: []string{"counter v1: pid "},
		Edits:   []Edit{{"main.go", `const version = "v1"`, `const version = "v2"`}},
		Syncs:   []Sync{{"build", "/", []string{"counter"}}},
		Run:     [][]string{{"/.restart/supervisor", "restart"}},
		Updated: []string{"counter v2: pid "},
	}
)

// All are the examples with a live-update scenario.
var All = []Example{GoServer, Shell, Python, Scratch}

// Prepare compiles the example's Binary in its copy dir for linux/arch, as
// its local_resource does before the first build.
func (e Example) Prepare(t *testing.T, dir, arch string) {
	t.Helper()
	if e.Binary != "" {
		rigtest.GoBuild(t, dir, e.Binary, arch)
	}
}

// WaitStarted waits for the first version's output and returns its lines,
// one for each of Started; it checks the user the steps run as.
func (e Example) WaitStarted(t *testing.T, target Target) []string {
	t.Helper()
	lines := waitAll(target.Output(), e.Started)
	if e.User != "" {
		if uid, err := target.Exec(nil, "id", "-u"); err != nil || strings.TrimSpace(uid) != e.User {
			t.Fatalf("live update steps run as uid %q (%v), want the image's USER %s", strings.TrimSpace(uid), err, e.User)
		}
	}
	return lines
}

// CheckProcs fails unless the first version's processes, procs (pid →
// command line), are the ones Procs names.
func (e Example) CheckProcs(t *testing.T, procs map[string]string) {
	t.Helper()
	for _, p := range e.Procs {
		if !rigtest.HasProc(procs, p) {
			t.Fatalf("want the app's processes to include %q, have %v", p, procs)
		}
	}
}

// Change makes the change in the example's copy dir, and compiles its
// Binary again for linux/arch.
func (e Example) Change(t *testing.T, dir, arch string) {
	t.Helper()
	for _, ed := range e.Edits {
		rigtest.Edit(t, dir, ed.File, ed.Old, ed.New)
	}
	for file, content := range e.Writes {
		rigtest.WriteFile(t, dir, file, content)
	}
	for _, file := range e.Removes {
		if err := os.Remove(filepath.Join(dir, file)); err != nil {
			t.Fatal(err)
		}
	}
	e.Prepare(t, dir, arch)
}

// LiveUpdate applies the change in dir to target as Tilt does: `rm -rf` of
// the deleted files, the synced files into `tar -C / -x -f -`, then the run
// steps.
func (e Example) LiveUpdate(t *testing.T, dir string, target Target) {
	t.Helper()
	if len(e.Deletes) > 0 {
		DeleteFiles(t, target, e.Deletes...)
	}
	for _, s := range e.Syncs {
		SyncFiles(t, target, filepath.Join(dir, s.Local), s.Container, s.Files...)
	}
	for _, argv := range e.Run {
		Run(t, target, argv...)
	}
}

// SyncFiles is Tilt's sync step for the files rels under the local folder
// localDir, which a sync(localDir, containerDir) maps to containerDir: one
// archive (rigtest.SyncArchive) streamed into `tar -C / -x -f -`.
func SyncFiles(t *testing.T, target Target, localDir, containerDir string, rels ...string) {
	t.Helper()
	archive, err := rigtest.SyncArchive(localDir, containerDir, rels...)
	if err != nil {
		t.Fatal(err)
	}
	run(t, target, archive, "tar", "-C", "/", "-x", "-f", "-")
}

// DeleteFiles is Tilt's sync step for files deleted locally: `rm -rf`.
func DeleteFiles(t *testing.T, target Target, paths ...string) {
	t.Helper()
	run(t, target, nil, append([]string{"rm", "-rf"}, paths...)...)
}

// Run is Tilt's run step as argv: a Tiltfile's list runs as it is, a
// string as sh -c STRING.
func Run(t *testing.T, target Target, argv ...string) {
	t.Helper()
	run(t, target, nil, argv...)
}

// WaitUpdated waits for the new code's output, runs Check, and returns the
// lines of Updated.
func (e Example) WaitUpdated(t *testing.T, target Target, started []string) []string {
	t.Helper()
	lines := waitAll(target.Output(), e.Updated)
	if e.Check != nil {
		e.Check(t, target.Output(), started, lines)
	}
	return lines
}

// waitAll waits for each of wants in out and returns the lines that hold
// them.
func waitAll(out *rigtest.Output, wants []string) []string {
	lines := make([]string, len(wants))
	for i, w := range wants {
		lines[i] = out.Wait(w)
	}
	return lines
}

// run runs argv in target, or fails the test.
func run(t *testing.T, target Target, stdin []byte, argv ...string) {
	t.Helper()
	if _, err := target.Exec(stdin, argv...); err != nil {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
}

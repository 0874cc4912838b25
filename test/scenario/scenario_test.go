package scenario

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestScenariosFollowTheTiltfiles checks each scenario against its
// example, without the rig: the files it edits and removes are there, and
// its target, build args, syncs and run steps are its Tiltfile's.
func TestScenariosFollowTheTiltfiles(t *testing.T) {
	for _, ex := range All {
		t.Run(ex.Name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "examples", ex.Name)
			read := func(file string) string {
				t.Helper()
				b, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			tiltfile := read("Tiltfile")
			for _, e := range ex.Edits {
				if !strings.Contains(read(e.File), e.Old) {
					t.Errorf("%s does not contain %q, which the scenario edits", e.File, e.Old)
				}
			}
			for _, file := range ex.Removes {
				read(file)
			}

			target := ""
			if m := regexp.MustCompile(`(?m)^\s*target='([^']+)'`).FindStringSubmatch(tiltfile); m != nil {
				target = m[1]
			}
			if target != ex.Target {
				t.Errorf("the Tiltfile builds target %q, the scenario %q", target, ex.Target)
			}
			args := regexp.MustCompile(`(?m)^[^#]*'(RESTART_\w+)': '([^']*)'`).FindAllStringSubmatch(tiltfile, -1)
			if len(args) != len(ex.BuildArgs) {
				t.Errorf("the Tiltfile has build args %v, the scenario %v", args, ex.BuildArgs)
			}
			for _, a := range args {
				if !contains(ex.BuildArgs, a[1]+"="+a[2]) {
					t.Errorf("the scenario lacks the Tiltfile's build arg %s=%s", a[1], a[2])
				}
			}

			syncs := regexp.MustCompile(`(?m)^\s*sync\('([^']+)', '([^']+)'\)`).FindAllStringSubmatch(tiltfile, -1)
			for _, s := range ex.Syncs {
				for _, f := range s.Files {
					local, remote := "./"+path.Join(s.Local, f), path.Join(s.Container, f)
					if !syncedBy(syncs, local, remote) {
						t.Errorf("no sync of the Tiltfile maps %s to %s: %v", local, remote, syncs)
					}
				}
			}
			if len(ex.Deletes) != len(ex.Removes) {
				t.Errorf("the scenario removes %v and deletes %v in the container", ex.Removes, ex.Deletes)
			}

			runs := regexp.MustCompile(`(?m)^\s*run\((.+)\),`).FindAllStringSubmatch(tiltfile, -1)
			if len(runs) != len(ex.Run) {
				t.Fatalf("the Tiltfile has run steps %v, the scenario %q", runs, ex.Run)
			}
			for i, argv := range ex.Run {
				if got, want := runs[i][1], tiltRun(argv); got != want {
					t.Errorf("run step %d: the Tiltfile has %s, the scenario %s", i, got, want)
				}
			}
		})
	}
}

// syncedBy reports whether one of the Tiltfile's syncs (source,
// destination) maps the local file to remote.
func syncedBy(syncs [][]string, local, remote string) bool {
	for _, s := range syncs {
		if rest, ok := strings.CutPrefix(local, s[1]); ok && (rest == "" || rest[0] == '/') && s[2]+rest == remote {
			return true
		}
	}
	return false
}

// tiltRun is argv as a Tiltfile writes its run step: sh -c STRING as the
// string, any other as a list.
func tiltRun(argv []string) string {
	if len(argv) == 3 && argv[0] == "sh" && argv[1] == "-c" {
		return "'" + argv[2] + "'"
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = fmt.Sprintf("'%s'", a)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

package contract

import (
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDockerfileKeepsTheContract reads the frontend image's Dockerfile, which
// cannot import this package, and fails when a path or name it writes is not
// the one the frontend copies from or the images expect.
func TestDockerfileKeepsTheContract(t *testing.T) {
	dt, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(dt)
	// The supervisors stage writes under /out, which the release stage
	// copies to the image's root: /out/X is X in the frontend image.
	const out = "/out"
	if !strings.Contains(df, "COPY --from=supervisors "+out+"/ /\n") {
		t.Fatalf("the Dockerfile no longer copies the supervisors stage's %s/ to /: update this test and the paths in pkg/contract", out)
	}

	t.Run("platforms", func(t *testing.T) {
		m := regexp.MustCompile(`ARG SUPERVISOR_PLATFORMS="([^"]*)"`).FindStringSubmatch(df)
		if m == nil {
			t.Fatal("the Dockerfile has no ARG SUPERVISOR_PLATFORMS")
		}
		if got, want := m[1], strings.Join(Platforms, " "); got != want {
			t.Errorf("the Dockerfile builds %q, pkg/contract.Platforms says %q", got, want)
		}
	})

	t.Run("binaries", func(t *testing.T) {
		// Each binary is built from cmd/<name> to its source path.
		m := regexp.MustCompile(`for cmd in ([^;]*); do`).FindStringSubmatch(df)
		if m == nil {
			t.Fatal("the Dockerfile has no loop over the commands it builds for each platform")
		}
		if got, want := m[1], SupervisorName+" "+ToolsName; got != want {
			t.Errorf("the Dockerfile builds the commands %q, want %q", got, want)
		}
		if want := `-o "` + out + SourcePath("$platform", "$cmd") + `" ./cmd/$cmd`; !strings.Contains(df, want) {
			t.Errorf("the Dockerfile does not build each binary with %s", want)
		}
	})

	t.Run("paths", func(t *testing.T) {
		// Every path written under the source folder is one pkg/llb copies.
		var got []string
		for _, p := range regexp.MustCompile(out+SourceDir+`[^\s"]*`).FindAllString(df, -1) {
			got = append(got, strings.TrimPrefix(p, out))
		}
		want := []string{SourcePath("$platform", "$cmd"), LinksDir, TriggerSource}
		for _, name := range ToolNames {
			want = append(want, path.Join(LinksDir, name))
		}
		slices.Sort(want)
		got = slices.Compact(slices.Sorted(slices.Values(got)))
		if !slices.Equal(got, want) {
			t.Errorf("the Dockerfile writes %q in the frontend image, pkg/contract expects %q", got, want)
		}
	})

	t.Run("links", func(t *testing.T) {
		links := regexp.MustCompile(`ln -s (\S+) (\S+)`).FindAllStringSubmatch(df, -1)
		var names []string
		for _, l := range links {
			if l[1] != ToolsPath {
				t.Errorf("the Dockerfile links %s to %s, want %s", l[2], l[1], ToolsPath)
			}
			if dir := path.Dir(l[2]); dir != out+LinksDir {
				t.Errorf("the Dockerfile puts the link %s in %s, want %s", l[2], dir, out+LinksDir)
			}
			names = append(names, path.Base(l[2]))
		}
		if !slices.Equal(names, ToolNames) {
			t.Errorf("the Dockerfile links %q, want %q", names, ToolNames)
		}
	})

	t.Run("trigger", func(t *testing.T) {
		if want := "chmod 0666 " + out + TriggerSource + "\n"; !strings.Contains(df, want) {
			t.Errorf("the Dockerfile does not make the trigger source writable by all: want %q", want)
		}
	})
}

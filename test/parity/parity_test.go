package parity

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/builder"

	"github.com/tilt-dev/restart-frontend/pkg/frontend"
)

// parityCase is one Dockerfile of the corpus and how it is built.
type parityCase struct {
	// file is testdata/corpus/FILE.Dockerfile; its first comment says what
	// it covers.
	file string
	// attrs are frontend attrs for every build of the case (target,
	// platform, context:NAME, build-arg:NAME); $NAME expands from in.vars.
	attrs map[string]string
	// on are more build args for the build with the supervisor
	// (RESTART_TRIGGER, RESTART_TOOLS), NAME=VALUE.
	on []string
}

// cases is the corpus. TestCorpusIsComplete keeps it in step with
// testdata/corpus.
var cases = []parityCase{
	// FROM, stages and platforms.
	{file: "from-platform"},
	{file: "multi-platform", attrs: map[string]string{"platform": "linux/amd64,linux/arm64"}},
	{file: "cross-platform", attrs: map[string]string{"platform": "linux/arm64"}},
	{file: "multi-stage"},
	{file: "target", attrs: map[string]string{"target": "middle"}},
	{file: "from-digest", attrs: map[string]string{"build-arg:BUSYBOX": "busybox@$BUSYBOX_DIGEST"}},
	// ARG and ENV.
	{file: "args", attrs: map[string]string{"build-arg:GIVEN": "from the command line"}},
	{file: "env-expansion"},
	// RUN.
	{file: "run-forms"},
	{file: "run-heredoc"},
	{file: "run-mount-bind"},
	{file: "run-mount-cache"},
	{file: "run-mount-tmpfs"},
	{file: "run-mount-secret"},
	{file: "run-mount-ssh"},
	{file: "run-network"},
	// COPY and ADD.
	{file: "copy-flags"},
	{file: "copy-link"},
	{file: "copy-from-image"},
	{file: "copy-parents"},
	{file: "copy-exclude"},
	{file: "copy-heredoc"},
	{file: "add-local"},
	{file: "add-url", attrs: map[string]string{"build-arg:HTTP": "$HTTP"}},
	// The other instructions.
	{file: "workdir", on: []string{"RESTART_TRIGGER=/srv/app/.restart"}},
	{file: "user"},
	{file: "expose-volume", on: []string{"RESTART_TRIGGER=/run/restart/trigger"}},
	{file: "label"},
	{file: "stopsignal"},
	{file: "stopsignal-number"},
	{file: "healthcheck"},
	{file: "healthcheck-none"},
	{file: "shell"},
	{file: "onbuild"},
	{file: "onbuild-child", attrs: map[string]string{"build-arg:BASE": "$REGISTRY/parity/onbuild:latest"}},
	// ENTRYPOINT and CMD shapes.
	{file: "entrypoint-exec-cmd"},
	{file: "entrypoint-shell"},
	{file: "cmd-shell"},
	{file: "entrypoint-only"},
	{file: "no-command"},
	{file: "entrypoint-empty"},
	{file: "cmd-empty"},
	{file: "inherited-command"},
	{file: "odd-arguments"},
	// Contexts, directives and bases.
	{file: "named-context-local", attrs: map[string]string{"context:extra": "local:extra"}},
	{file: "named-context-image", attrs: map[string]string{"context:alpine": "docker-image://busybox:latest"}},
	{file: "copy-context"},
	{file: "dockerignore"},
	{file: "syntax-forward"},
	{file: "escape-directive"},
	{file: "debian"},
	{file: "distroless", on: []string{"RESTART_TOOLS=on"}},
}

// TestParity builds every case three times: with the upstream frontend, with
// ours switched off (the same digest) and with ours (the same image plus the
// supervisor).
func TestParity(t *testing.T) {
	in := newInputs(t)
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			store := t.TempDir() // one OCI layout: the three builds share blobs
			upstream := (&build{in: in, file: c.file, attrs: c.attrs, fn: builder.Build}).toLayout(t, store)

			off := (&build{in: in, file: c.file, attrs: withArgs(c.attrs, "RESTART_PROCESS=off"), fn: frontend.Build}).toLayout(t, store)
			if off != upstream {
				t.Errorf("RESTART_PROCESS=off built %s, upstream %s", off, upstream)
			}

			on := (&build{in: in, file: c.file, attrs: withArgs(c.attrs, c.on...), fn: frontend.Build}).toLayout(t, store)
			ups, ours := readImages(t, store, upstream), readImages(t, store, on)
			if !slices.Equal(sortedKeys(ups), sortedKeys(ours)) {
				t.Fatalf("platforms: ours %v, upstream %v", sortedKeys(ours), sortedKeys(ups))
			}
			for _, id := range sortedKeys(ups) {
				compare(t, id, ups[id], ours[id], optionsOf(c.on))
			}
		})
	}
}

// TestCorpusIsComplete fails when a Dockerfile of testdata/corpus is not a
// case, or a case has no Dockerfile: no file is left out unnoticed.
func TestCorpusIsComplete(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var onDisk, listed []string
	for _, f := range files {
		onDisk = append(onDisk, strings.TrimSuffix(filepath.Base(f), ".Dockerfile"))
	}
	for _, c := range cases {
		listed = append(listed, c.file)
	}
	slices.Sort(onDisk)
	slices.Sort(listed)
	if !slices.Equal(onDisk, listed) {
		t.Errorf("testdata/corpus has %v\nthe cases are %v", onDisk, listed)
	}
	if len(listed) < 30 {
		t.Errorf("the corpus has %d Dockerfiles, want at least 30", len(listed))
	}
	for _, f := range files {
		dt, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(dt), "#") {
			t.Errorf("%s does not start with a comment saying what it covers", f)
		}
	}
}

// withArgs returns attrs plus the build args NAME=VALUE.
func withArgs(attrs map[string]string, args ...string) map[string]string {
	out := map[string]string{}
	for k, v := range attrs {
		out[k] = v
	}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		out["build-arg:"+k] = v
	}
	return out
}

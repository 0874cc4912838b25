package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pkg/errors"
)

// DockerBuildOptions configures [DockerBuilds].
type DockerBuildOptions struct {
	Docker   string // the docker CLI; DOCKER_HOST names the daemon
	Daemon   string // the daemon's name in the figures, e.g. "Docker 29.8.0"
	Example  string // examples/go-server
	Dir      string
	Tag      string // every image is tagged restart-bench/go-server-<flow>:<Tag>
	Upstream string // the upstream dockerfile frontend image at our BuildKit version
	Warm     int    // timed rebuilds of each flow
	Cold     int
}

// goServerVersion is the line of examples/go-server/main.go a warm rebuild
// changes: the Go build stage compiles again, as after a user's edit.
const goServerVersion = `const version = "v1"`

// DockerBuilds times `docker build` of examples/go-server's default target
// (a Go compile in golang:1.26-bookworm, then debian:bookworm-slim: seconds,
// a realistic build) on one daemon's own BuildKit, the path of Tilt's
// docker_build, through our frontend and through the upstream dockerfile
// frontend on the same daemon. A warm rebuild changes main.go (each flow its
// own version, so that no flow hits the other's cache); a cold build adds
// --no-cache. Flows take turns, starting with a different one each round.
func DockerBuilds(ctx context.Context, o DockerBuildOptions) ([]Figure, error) {
	_, upstreamDockerfile, err := withUpstream(o.Example, o.Upstream)
	if err != nil {
		return nil, err
	}
	mainGo, err := os.ReadFile(filepath.Join(o.Example, "main.go"))
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(mainGo, []byte(goServerVersion)) {
		return nil, errors.Errorf("%s/main.go has no line %s to change", o.Example, goServerVersion)
	}
	flows := []*flow{{name: "ours", letter: 'o'}, {name: "upstream", letter: 'u'}}
	for _, f := range flows {
		d := filepath.Join(o.Dir, "docker-builds", f.name)
		if err := os.CopyFS(d, os.DirFS(o.Example)); err != nil {
			return nil, err
		}
		if f.name == "upstream" {
			if err := os.WriteFile(filepath.Join(d, "Dockerfile"), upstreamDockerfile, 0o644); err != nil {
				return nil, err
			}
		}
		f.dirs = []string{d}
		f.images = []string{"restart-bench/go-server-" + f.name + ":" + o.Tag}
	}
	edit := func(f *flow, version string) error {
		line := fmt.Sprintf(`const version = "v%s%c"`, version, f.letter)
		return os.WriteFile(filepath.Join(f.dirs[0], "main.go"), bytes.Replace(mainGo, []byte(goServerVersion), []byte(line), 1), 0o644)
	}
	build := func(f *flow, noCache bool) (time.Duration, error) {
		args := []string{o.Docker, "build", "-q", "-t", f.images[0]}
		if noCache {
			args = append(args, "--no-cache")
		}
		return timed(ctx, nil, append(args, f.dirs[0])...)
	}

	// Untimed: one build of each flow pulls the frontends and base images
	// and fills the Go build cache.
	for _, f := range flows {
		if err := edit(f, "0"); err != nil {
			return nil, err
		}
		if _, err := build(f, false); err != nil {
			return nil, err
		}
	}
	warm, err := rounds(ctx, flows, o.Warm, func(f *flow, r int) (time.Duration, error) {
		if err := edit(f, fmt.Sprint(r+1)); err != nil {
			return 0, err
		}
		return build(f, false)
	})
	if err != nil {
		return nil, errors.Wrap(err, "warm rebuilds")
	}
	cold, err := rounds(ctx, flows, o.Cold, func(f *flow, r int) (time.Duration, error) { return build(f, true) })
	if err != nil {
		return nil, errors.Wrap(err, "cold builds")
	}

	upstream := "upstream frontend " + tagOf(o.Upstream) + " on " + o.Daemon
	note := "docker build of examples/go-server's default target on " + o.Daemon + "'s own BuildKit (Tilt's docker_build path); " +
		"a warm rebuild changes main.go, so the Go build stage runs again"
	s := func(xs []float64) float64 { return median(xs) / 1000 }
	wu := Figure{Name: "docker build warm rebuild vs upstream, " + o.Daemon + " (median)", Value: s(warm[0]), Unit: "s", Samples: len(warm[0]), Note: note}.
		compare(upstream, s(warm[1]))
	wu = wu.target("≤ 1.02×", wu.ratio() <= 1.02)
	wa := Figure{Name: "docker build warm rebuild time added, " + o.Daemon + " (paired median)", Value: pairedAdded(warm), Unit: "ms", Samples: len(warm[0]),
		Note: "median over rounds of (ours − upstream) in the same round"}
	cu := Figure{Name: "docker build cold build vs upstream, " + o.Daemon + " (median)", Value: s(cold[0]), Unit: "s", Samples: len(cold[0]),
		Note: "--no-cache on every build; base images and the Go build cache mount stay in the daemon"}.
		compare(upstream, s(cold[1]))
	cu = cu.target("≤ 1.02×", cu.ratio() <= 1.02)
	ca := Figure{Name: "docker build cold build time added, " + o.Daemon + " (paired median)", Value: pairedAdded(cold), Unit: "ms", Samples: len(cold[0])}
	return []Figure{wu, wa, cu, ca}, nil
}

// pairedAdded is the median over rounds of the first flow's time minus the
// second's in the same round, in milliseconds.
func pairedAdded(times [][]float64) float64 {
	var added []float64
	for r := range times[0] {
		added = append(added, times[0][r]-times[1][r])
	}
	return median(added)
}

package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// BuildOptions configures [Builds].
type BuildOptions struct {
	App        string // bench/testdata/app: Dockerfile (first line `# syntax=`) and app.sh
	Supervisor string // the two-image flow's helper binaries: our supervisor...
	Entr       string // ...and Debian's entr, as restart_process copies its two
	Dir        string
	Registry   string // every image is pushed here as restart-bench/<flow>:<Tag>
	Tag        string
	Upstream   string // the upstream dockerfile frontend image at our BuildKit version
	Warm, Cold int    // timed builds of each flow
}

// flow is one way to build the app into a restartable image: one or more
// buildctl builds in a row.
type flow struct {
	name   string
	dirs   []string // context directories built in order
	images []string
	letter byte // tells this flow's edits of app.sh apart from the others'
}

// Builds times, with buildctl on the rig's buildkitd (pushing to the rig's
// registry), three flows that build bench/testdata/app:
//
//   - ours: the Dockerfile with `# syntax=tiltdev/restart-frontend`;
//   - upstream: the same Dockerfile with `# syntax=` the upstream dockerfile
//     frontend at our BuildKit version (not restartable: the baseline);
//   - two-image: restart_process's flow: the upstream build as a base image,
//     then a child `FROM base` that touches and chmods the trigger, copies two
//     helper binaries from a helper image and sets a new ENTRYPOINT.
//
// A warm rebuild changes one line of app.sh (each flow its own line, so that
// no flow hits another's cache) and rebuilds; a cold build adds --no-cache.
// Flows take turns, starting with a different one each round.
func Builds(ctx context.Context, o BuildOptions) ([]Figure, error) {
	flows, edit, err := newFlows(ctx, o)
	if err != nil {
		return nil, err
	}

	// Untimed: one build of each flow, which pulls the frontends and
	// busybox into buildkitd.
	for _, f := range flows {
		if err := edit(f, "0"); err != nil {
			return nil, err
		}
		if _, err := f.build(ctx, false); err != nil {
			return nil, err
		}
	}
	warm, err := rounds(ctx, flows, o.Warm, func(f *flow, r int) (time.Duration, error) {
		if err := edit(f, fmt.Sprint(r+1)); err != nil {
			return 0, err
		}
		return f.build(ctx, false)
	})
	if err != nil {
		return nil, errors.Wrap(err, "warm rebuilds")
	}
	cold, err := rounds(ctx, flows, o.Cold, func(f *flow, r int) (time.Duration, error) {
		return f.build(ctx, true)
	})
	if err != nil {
		return nil, errors.Wrap(err, "cold builds")
	}

	note := "buildctl build, pushing to the rig's registry; the app: busybox plus one COPY; two-image: base, then the child FROM base"
	s := func(xs []float64) float64 { return median(xs) / 1000 }
	wu := Figure{Name: "warm rebuild vs upstream (median)", Value: s(warm[0]), Unit: "s", Samples: len(warm[0]), Note: note}.
		compare("upstream frontend "+tagOf(o.Upstream), s(warm[1]))
	wu = wu.target("≤ 1.10×", wu.ratio() <= 1.10)
	wt := Figure{Name: "warm rebuild vs two-image flow (median)", Value: s(warm[0]), Unit: "s", Samples: len(warm[0])}.
		compare("restart_process two-image", s(warm[2]))
	wt = wt.target("≤ 0.50×", wt.ratio() <= 0.50)
	wa := Figure{Name: "warm rebuild time added to upstream (paired median)", Value: pairedAdded(warm), Unit: "ms", Samples: len(warm[0]),
		Note: "median over rounds of (ours − upstream) in the same round: the frontend's fixed cost per build"}
	cu := Figure{Name: "cold build vs upstream (median)", Value: s(cold[0]), Unit: "s", Samples: len(cold[0]),
		Note: "--no-cache on every build of the flow; base image blobs stay in buildkitd's content store"}.
		compare("upstream frontend "+tagOf(o.Upstream), s(cold[1]))
	ct := Figure{Name: "cold build vs two-image flow (median)", Value: s(cold[0]), Unit: "s", Samples: len(cold[0])}.
		compare("restart_process two-image", s(cold[2]))
	return []Figure{wu, wt, wa, cu, ct}, nil
}

// newFlows writes the build contexts of the three flows of [Builds] under
// o.Dir, in this order: ours, upstream, two-image. It builds the two-image
// flow's helper image, which no edit changes. edit changes one line of the
// flow's app.sh, so that it prints version (with the flow's letter).
func newFlows(ctx context.Context, o BuildOptions) ([]*flow, func(f *flow, version string) error, error) {
	dockerfile, upstreamDockerfile, err := withUpstream(o.App, o.Upstream)
	if err != nil {
		return nil, nil, err
	}
	script, err := os.ReadFile(filepath.Join(o.App, "app.sh"))
	if err != nil {
		return nil, nil, err
	}
	ref := func(name string) string { return o.Registry + "/restart-bench/" + name + ":" + o.Tag }
	dir := filepath.Join(o.Dir, "builds")

	write := func(name string, files map[string][]byte) (string, error) {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
		for f, b := range files {
			if err := os.WriteFile(filepath.Join(d, f), b, 0o755); err != nil {
				return "", err
			}
		}
		return d, nil
	}
	helperFiles := map[string][]byte{"Dockerfile": []byte("FROM scratch\nCOPY tilt-restart-wrapper entr /\n")}
	for name, src := range map[string]string{"tilt-restart-wrapper": o.Supervisor, "entr": o.Entr} {
		if helperFiles[name], err = os.ReadFile(src); err != nil {
			return nil, nil, err
		}
	}
	helper, err := write("helper", helperFiles)
	if err != nil {
		return nil, nil, err
	}
	// The child's ENTRYPOINT is restart_process's, with the arguments of
	// the binary that stands in for tilt-restart-wrapper, so that the image
	// runs (the Kubernetes figure rolls it out).
	child, err := write("child", map[string][]byte{"Dockerfile": []byte(fmt.Sprintf(`# syntax=%s
FROM %s AS restart-helper
FROM %s
RUN ["touch", "/tmp/.restart-proc"]
RUN ["chmod", "666", "/tmp/.restart-proc"]
COPY --from=restart-helper /tilt-restart-wrapper /
COPY --from=restart-helper /entr /
ENTRYPOINT ["/tilt-restart-wrapper", "--trigger=/tmp/.restart-proc", "--", "/app/app.sh"]
`, o.Upstream, ref("helper"), ref("base")))})
	if err != nil {
		return nil, nil, err
	}
	flows := []*flow{
		{name: "ours", letter: 'o', images: []string{ref("ours")}},
		{name: "upstream", letter: 'u', images: []string{ref("upstream")}},
		{name: "two-image", letter: 'b', images: []string{ref("base"), ref("child")}},
	}
	for _, f := range flows {
		df := upstreamDockerfile
		if f.name == "ours" {
			df = dockerfile
		}
		d, err := write(f.name, map[string][]byte{"Dockerfile": df, "app.sh": script})
		if err != nil {
			return nil, nil, err
		}
		f.dirs = []string{d}
		if f.name == "two-image" {
			f.dirs = append(f.dirs, child)
		}
	}
	edit := func(f *flow, version string) error {
		return os.WriteFile(filepath.Join(f.dirs[0], "app.sh"), setVersion(script, version+string(f.letter)), 0o755)
	}
	if _, err := buildctl(ctx, helper, ref("helper"), false); err != nil {
		return nil, nil, err
	}
	return flows, edit, nil
}

// rounds runs n rounds of build over the flows, each round starting with
// the next flow, and returns each flow's times in milliseconds.
func rounds(ctx context.Context, flows []*flow, n int, build func(*flow, int) (time.Duration, error)) ([][]float64, error) {
	times := make([][]float64, len(flows))
	for r := 0; r < n; r++ {
		for j := range flows {
			k := (r + j) % len(flows)
			d, err := build(flows[k], r)
			if err != nil {
				return nil, errors.Wrap(err, flows[k].name)
			}
			times[k] = append(times[k], ms(d))
		}
	}
	return times, nil
}

// build runs the flow's builds in a row and returns their total time.
func (f *flow) build(ctx context.Context, noCache bool) (time.Duration, error) {
	var total time.Duration
	for i, d := range f.dirs {
		t, err := buildctl(ctx, d, f.images[i], noCache)
		if err != nil {
			return 0, err
		}
		total += t
	}
	return total, nil
}

// buildctl builds dir's Dockerfile and pushes it as image; it returns how
// long the command took.
func buildctl(ctx context.Context, dir, image string, noCache bool) (time.Duration, error) {
	args := []string{"buildctl", "build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context=" + dir, "--local", "dockerfile=" + dir,
		"--output", "type=image,name=" + image + ",push=true,registry.insecure=true"}
	if noCache {
		args = append(args, "--no-cache")
	}
	return timed(ctx, nil, args...)
}

// withUpstream reads dir's Dockerfile, whose first line must be a
// `# syntax=` line, and returns it and the same Dockerfile with the upstream
// frontend image on that line instead.
func withUpstream(dir, upstream string) (ours, theirs []byte, err error) {
	ours, err = os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		return nil, nil, err
	}
	first, body, _ := bytes.Cut(ours, []byte("\n"))
	if !bytes.HasPrefix(first, []byte("# syntax=")) {
		return nil, nil, errors.Errorf("%s/Dockerfile must start with # syntax=", dir)
	}
	return ours, append([]byte("# syntax="+upstream+"\n"), body...), nil
}

func tagOf(image string) string {
	if i := strings.LastIndexByte(image, ':'); i >= 0 {
		return image[i+1:]
	}
	return "latest"
}

package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

// NoShellImage is an image of bench/testdata/static built with
// RESTART_TOOLS=on, and the name its figure gives it.
type NoShellImage struct {
	Name  string // e.g. "scratch"
	Image string
}

// NoShellOptions configures [LiveUpdateNoShell].
type NoShellOptions struct {
	Images  []NoShellImage
	Samples int
	Label   string
}

// LiveUpdateNoShell measures a live update on the rig's dockerd for images
// with no shell and no tar, the way Tilt does it on the Engine API: a tar of
// the changed app/version streamed into an exec of `tar -C / -x -f -`, where
// tar is the frontend's (RESTART_TOOLS=on links it in /usr/local/bin to
// /.restart/tools), then the list-form run step, an exec of
// `/.restart/supervisor restart`. The baseline is the same sync followed by
// a container restart with timeout 0, on the same container. Each image gets
// one container; all the kinds of all the images take turns.
func LiveUpdateNoShell(ctx context.Context, o NoShellOptions) ([]Figure, error) {
	if len(o.Images) == 0 {
		return nil, errors.New("no image to measure")
	}
	e, err := newEngine()
	if err != nil {
		return nil, err
	}
	var kinds []liveKind
	for i, im := range o.Images {
		id, err := startApp(ctx, e, o.Label, im.Image)
		if err != nil {
			return nil, errors.Wrapf(err, "%s (%s)", im.Name, im.Image)
		}
		defer removeContainer(id)
		// The figure is about images with no shell: make sure this is one.
		if _, err := command(ctx, nil, "docker", "exec", id, "sh", "-c", "true"); err == nil {
			return nil, errors.Errorf("%s (%s) has a shell", im.Name, im.Image)
		}
		kinds = append(kinds,
			liveKind{im.Name + ": restart", id, e.execs(id, contract.SupervisorPath, "restart"), byte('a' + 2*i)},
			liveKind{im.Name + ": docker restart", id, e.restarts(id), byte('b' + 2*i)})
	}
	total, syncs, restarts, err := roundTrips(ctx, e, kinds, o.Samples, "app/version", 0o644,
		func(version string) []byte { return []byte(version + "\n") })
	if err != nil {
		return nil, err
	}
	var figs []Figure
	for i, im := range o.Images {
		r, d := 2*i, 2*i+1
		note := fmt.Sprintf("bench/testdata/static, a static Go app FROM %s built with RESTART_TOOLS=on; "+
			"timed from the start of the tar sync to the new version's line in docker logs; p50s: "+
			"sync (exec of tar, the frontend's) %.0f ms, exec of /.restart/supervisor restart %.0f ms, "+
			"restart with timeout 0 %.0f ms; Engine API calls as Tilt makes them; p90s: %.0f ms vs %.0f ms; kinds alternate",
			im.Name, median(append(append([]float64(nil), syncs[r]...), syncs[d]...)),
			median(restarts[r]), median(restarts[d]), percentile(total[r], 90), percentile(total[d], 90))
		figs = append(figs, Figure{Name: fmt.Sprintf("live update round trip p50, %s (RESTART_TOOLS)", im.Name),
			Value: median(total[r]), Unit: "ms", Samples: len(total[r]), Note: note}.
			compare("tar sync + docker restart", median(total[d])))
	}
	return figs, nil
}

// parseNoShellImage parses NAME=IMAGE, split at the first '='.
func parseNoShellImage(s string) (NoShellImage, error) {
	name, image, ok := strings.Cut(s, "=")
	if !ok || name == "" || image == "" {
		return NoShellImage{}, errors.Errorf("want NAME=IMAGE, got %q", s)
	}
	return NoShellImage{Name: name, Image: image}, nil
}

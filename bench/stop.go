package bench

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// StopOptions configures [Stop].
type StopOptions struct {
	Wrapped   string // built through the frontend from bench/testdata/app
	Unwrapped string // the same, with RESTART_PROCESS=off
	Samples   int
	Label     string // put on every container, so hack/bench can clean up
}

// Stop measures `docker stop` of a container of each image once its app has
// started (the app exits 0 at once on SIGTERM), alternating between the two,
// and reads the exit code docker reports.
func Stop(ctx context.Context, o StopOptions) ([]Figure, error) {
	e, err := newEngine()
	if err != nil {
		return nil, err
	}
	images := []string{o.Wrapped, o.Unwrapped}
	times := [2][]float64{}
	codes := [2][]string{}
	for i := 0; i < o.Samples; i++ {
		for k := range images {
			if i%2 == 1 {
				k = 1 - k
			}
			d, code, err := stopOnce(ctx, e, images[k], o.Label)
			if err != nil {
				return nil, err
			}
			times[k] = append(times[k], ms(d))
			codes[k] = append(codes[k], code)
		}
	}
	f := Figure{Name: "docker stop (median)", Value: median(times[0]), Unit: "ms", Samples: len(times[0]),
		Note: "app: bench/testdata/app, exits 0 on SIGTERM; timed around the docker stop command"}.
		compare("RESTART_PROCESS=off", median(times[1]))
	f = f.target("≤ unwrapped + 50 ms", f.Value <= *f.ComparisonValue+50)
	same := strings.Join(codes[0], ",") == strings.Join(codes[1], ",") && allEqual(codes[0], "0")
	c := Figure{Name: "exit code on docker stop", Value: atof(mode(codes[0])), Unit: "", Samples: len(codes[0]),
		Note: fmt.Sprintf("wrapped: %s; unwrapped: %s", strings.Join(codes[0], " "), strings.Join(codes[1], " "))}.
		compare("RESTART_PROCESS=off", atof(mode(codes[1])))
	c = c.target("the app's own (0), as unwrapped", same)
	return []Figure{f, c}, nil
}

func stopOnce(ctx context.Context, e *engine, image, label string) (time.Duration, string, error) {
	id, err := startApp(ctx, e, label, image)
	if err != nil {
		return 0, "", err
	}
	defer removeContainer(id)
	d, err := timed(ctx, nil, "docker", "stop", id)
	if err != nil {
		return 0, "", err
	}
	code, err := command(ctx, nil, "docker", "inspect", "-f", "{{.State.ExitCode}}", id)
	return d, strings.TrimSpace(code), err
}

func allEqual(xs []string, v string) bool {
	for _, x := range xs {
		if x != v {
			return false
		}
	}
	return len(xs) > 0
}

// mode returns the most frequent string of xs.
func mode(xs []string) string {
	n := map[string]int{}
	best := ""
	for _, x := range xs {
		n[x]++
		if n[x] > n[best] {
			best = x
		}
	}
	return best
}

func atof(s string) float64 {
	var f float64
	_, _ = fmt.Sscan(s, &f)
	return f
}

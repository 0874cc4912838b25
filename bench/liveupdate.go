package bench

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// LiveUpdateOptions configures [LiveUpdate].
type LiveUpdateOptions struct {
	Image   string // built through the frontend from App
	App     string // bench/testdata/app: app.sh is what is synced
	Samples int
	Label   string
}

// LiveUpdate measures a live update on the rig's dockerd the way Tilt does
// it, on the Engine API (no CLI): a tar of the changed app.sh streamed into
// an exec of `tar -C / -x -f -`, then the restart, timed from the start of
// the sync to the line of the new version in the container's output. The
// restart is either our trigger (an exec of `sh -c 'date > /.restart-proc'`,
// Tilt's run step) or a container restart with timeout 0 (Tilt's
// restart_container() on Compose), on the same container. Two more
// containers run with RESTART_WATCH=/app, where the sync alone restarts the
// app once the changes are quiet for RESTART_DEBOUNCE: the default (100ms)
// and 10ms. The four kinds take turns.
func LiveUpdate(ctx context.Context, o LiveUpdateOptions) ([]Figure, error) {
	e, err := newEngine()
	if err != nil {
		return nil, err
	}
	script, err := os.ReadFile(filepath.Join(o.App, "app.sh"))
	if err != nil {
		return nil, err
	}
	// Container a restarts by trigger and by docker restart; containers w
	// and q run with RESTART_WATCH=/app, so that the sync alone restarts
	// them.
	a, err := startApp(ctx, e, o.Label, o.Image)
	if err != nil {
		return nil, err
	}
	defer removeContainer(a)
	w, err := startApp(ctx, e, o.Label, "-e", "RESTART_WATCH=/app", o.Image)
	if err != nil {
		return nil, err
	}
	defer removeContainer(w)
	q, err := startApp(ctx, e, o.Label, "-e", "RESTART_WATCH=/app", "-e", "RESTART_DEBOUNCE="+shortDebounce, o.Image)
	if err != nil {
		return nil, err
	}
	defer removeContainer(q)

	kinds := []liveKind{
		{"trigger", a, e.execs(a, "sh", "-c", "date > /.restart-proc"), 't'},
		{"docker restart", a, e.restarts(a), 'r'},
		{"watch", w, nil, 'w'},
		{"watch, short debounce", q, nil, 'q'},
	}
	// Per kind: the whole round trip, the sync, and the restart command.
	total, syncs, restarts, err := roundTrips(ctx, e, kinds, o.Samples, "app/app.sh", 0o755,
		func(version string) []byte { return setVersion(script, version) })
	if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("timed from the start of the tar sync to the new version's line in docker logs (Engine API, followed); p50s: "+
		"sync (exec of tar) %.0f ms, trigger (exec of sh) %.0f ms, restart with timeout 0 %.0f ms; Engine API calls as Tilt makes them; kinds alternate",
		median(append(append(append([]float64(nil), syncs[0]...), syncs[1]...), syncs[2]...)), median(restarts[0]), median(restarts[1]))
	p50 := Figure{Name: "live update round trip p50 (tar sync + trigger)", Value: median(total[0]), Unit: "ms", Samples: len(total[0]), Note: note}.
		compare("tar sync + docker restart", median(total[1]))
	p50 = p50.target("≤ 0.20× docker restart", p50.ratio() <= 0.20)
	p90 := Figure{Name: "live update round trip p90", Value: percentile(total[0], 90), Unit: "ms", Samples: len(total[0])}.
		compare("tar sync + docker restart", percentile(total[1], 90))
	watch := Figure{Name: "live update with RESTART_WATCH p50 (tar sync only)", Value: median(total[2]), Unit: "ms", Samples: len(total[2]),
		Note: "a second container with RESTART_WATCH=/app: no trigger step; the supervisor restarts once the changes are quiet for 100ms"}.
		compare("tar sync + docker restart", median(total[1]))
	short := Figure{Name: "live update with RESTART_WATCH, RESTART_DEBOUNCE=" + shortDebounce + " p50", Value: median(total[3]), Unit: "ms",
		Samples: len(total[3]), Note: "a third container with a " + shortDebounce + " debounce, for syncs that delete nothing (a sync that " +
			"deletes runs rm -rf and tar as two execs ~45 ms apart, which the default debounce spans)"}.
		compare("tar sync + docker restart", median(total[1]))
	return []Figure{p50, p90, watch, short}, nil
}

// shortDebounce is the RESTART_DEBOUNCE of the fastest way to live update:
// a sync alone.
const shortDebounce = "10ms"

// liveKind is one way to end a live update, on one container.
type liveKind struct {
	name    string
	id      string                          // the container
	restart func(ctx context.Context) error // after the sync; nil: the sync is enough
	letter  byte                            // marks the versions this kind syncs
}

// roundTrips does samples live updates of each kind, the kinds taking turns:
// a tar of file (mode, content(version)) streamed into an exec of `tar -C /
// -x -f -`, as Tilt's sync does, then the kind's restart, timed from the
// start of the sync to the line "bench app: version V," in the container's
// output. It returns, per kind and in ms, the round trips, the syncs and the
// restart commands.
func roundTrips(ctx context.Context, e *engine, kinds []liveKind, samples int, file string, mode int64,
	content func(version string) []byte) (total, syncs, restarts [][]float64, err error) {
	total = make([][]float64, len(kinds))
	syncs = make([][]float64, len(kinds))
	restarts = make([][]float64, len(kinds))
	for i := 0; i < samples; i++ {
		for j := range kinds {
			k := (i + j) % len(kinds)
			version := fmt.Sprintf("%d%c", i+2, kinds[k].letter)
			archive, err := tarFile(file, mode, content(version))
			if err != nil {
				return nil, nil, nil, err
			}
			id := kinds[k].id
			start := time.Now()
			f := e.follow(ctx, id, start.Add(-time.Second), "bench app: version "+version+",")
			if err := e.exec(ctx, id, []string{"tar", "-C", "/", "-x", "-f", "-"}, archive); err != nil {
				f.cancel()
				return nil, nil, nil, err
			}
			synced := time.Now()
			if kinds[k].restart != nil {
				if err := kinds[k].restart(ctx); err != nil {
					f.cancel()
					return nil, nil, nil, err
				}
			}
			restarted := time.Now()
			at, err := f.wait(time.Minute)
			if err != nil {
				return nil, nil, nil, errors.Wrapf(err, "live update by %s", kinds[k].name)
			}
			total[k] = append(total[k], ms(at.Sub(start)))
			syncs[k] = append(syncs[k], ms(synced.Sub(start)))
			restarts[k] = append(restarts[k], ms(restarted.Sub(synced)))
		}
	}
	return total, syncs, restarts, nil
}

// execs returns an exec of argv in container id, for a liveKind.
func (e *engine) execs(id string, argv ...string) func(ctx context.Context) error {
	return func(ctx context.Context) error { return e.exec(ctx, id, argv, nil) }
}

// restarts returns a restart of container id, for a liveKind.
func (e *engine) restarts(id string) func(ctx context.Context) error {
	return func(ctx context.Context) error { return e.restart(ctx, id) }
}

// startApp runs a container of bench/testdata/app (docker run args end with
// the image) and waits for its first line.
func startApp(ctx context.Context, e *engine, label string, args ...string) (string, error) {
	begin := time.Now()
	out, err := command(ctx, nil, append([]string{"docker", "run", "-d", "--network", "none", "--label", label}, args...)...)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(out)
	if _, err := e.follow(ctx, id, begin.Add(-time.Second), "bench app: version 1,").wait(time.Minute); err != nil {
		removeContainer(id)
		return "", err
	}
	return id, nil
}

func removeContainer(id string) {
	_, _ = command(context.Background(), nil, "docker", "rm", "-f", id)
}

// setVersion returns the app script printing version instead of 1.
func setVersion(script []byte, version string) []byte {
	return bytes.Replace(script, []byte("version 1,"), []byte("version "+version+","), 1)
}

// tarFile returns a tar archive of one file owned by root, as Tilt's sync
// makes (uid and gid zeroed).
func tarFile(name string, mode int64, content []byte) ([]byte, error) {
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	if err := w.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(content)), ModTime: time.Now(), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := w.Write(content); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
)

// RestartOptions configures [Restart].
type RestartOptions struct {
	Supervisor string // the supervisor binary (built from ./cmd/supervisor)
	Entr       string // the entr binary (Debian's)
	App        string // the app both restart: cmd/benchapp
	Dir        string // scratch directory: triggers, watched files, logs
	Samples    int    // restarts of each tool, per variant
	// Gap is the pause after each restart, so that the next one finds both
	// tools idle.
	Gap time.Duration
	// WatchFiles is how many files a sync writes in the --watch variant.
	WatchFiles int
}

// Restart measures restart latency on the host: the time from the start of
// a trigger write to the new app process's first line on stdout, read from
// the pipe the harness gave the tool. Our supervisor and `entr -nrz` run the
// same app side by side, and samples alternate between them. It then does
// the same with a sync of WatchFiles files into a directory our supervisor
// watches (--watch) and entr is fed the names of, timed from the start of
// the last file's write.
func Restart(ctx context.Context, o RestartOptions) ([]Figure, error) {
	trig, err := restartTrigger(ctx, o)
	if err != nil {
		return nil, errors.Wrap(err, "trigger")
	}
	watch, err := restartWatch(ctx, o)
	if err != nil {
		return nil, errors.Wrap(err, "watch")
	}
	return append(trig, watch...), nil
}

func restartTrigger(ctx context.Context, o RestartOptions) ([]Figure, error) {
	dir := filepath.Join(o.Dir, "restart-trigger")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ours := filepath.Join(dir, "ours.trigger")
	theirs := filepath.Join(dir, "entr.trigger")
	for _, p := range []string{ours, theirs} {
		if err := writeContent(p); err != nil {
			return nil, err
		}
	}
	sup, err := startTool(ctx, "supervisor", filepath.Join(dir, "supervisor.log"), "", 1,
		o.Supervisor, "--trigger="+ours, "--", o.App)
	if err != nil {
		return nil, err
	}
	defer sup.stop()
	// As restart_process's wrapper does: the file name on stdin, -r restart,
	// -z exit with the app; -n because the harness has no terminal.
	entr, err := startTool(ctx, "entr", filepath.Join(dir, "entr.log"), theirs+"\n", 1,
		o.Entr, "-nrz", o.App)
	if err != nil {
		return nil, err
	}
	defer entr.stop()

	a, b, err := alternate(ctx, o, sup, entr,
		func() (time.Time, error) { return writeTimed(ours) },
		func() (time.Time, error) { return writeTimed(theirs) })
	if err != nil {
		return nil, err
	}
	note := "trigger: a content write (like `date > trigger`); app: cmd/benchapp, exits 0 on SIGTERM; entr run as `echo trigger | entr -nrz app`" +
		lostNote(sup, entr)
	p50 := Figure{Name: "restart latency p50 (trigger write → new output)", Value: percentile(a, 50), Unit: "ms", Samples: len(a), Note: note}.
		compare("entr -rz", percentile(b, 50))
	p50 = p50.target("≤ 5 ms and ≤ 0.10× entr", p50.Value <= 5 && p50.ratio() <= 0.10)
	p90 := Figure{Name: "restart latency p90", Value: percentile(a, 90), Unit: "ms", Samples: len(a)}.
		compare("entr -rz", percentile(b, 90))
	return []Figure{p50, p90}, nil
}

func restartWatch(ctx context.Context, o RestartOptions) ([]Figure, error) {
	dir := filepath.Join(o.Dir, "restart-watch")
	var oursFiles, theirFiles []string
	for _, tool := range []string{"ours", "entr"} {
		if err := os.MkdirAll(filepath.Join(dir, tool), 0o755); err != nil {
			return nil, err
		}
		for i := 0; i < o.WatchFiles; i++ {
			p := filepath.Join(dir, tool, fmt.Sprintf("file%02d.go", i))
			if err := writeContent(p); err != nil {
				return nil, err
			}
			if tool == "ours" {
				oursFiles = append(oursFiles, p)
			} else {
				theirFiles = append(theirFiles, p)
			}
		}
	}
	// The supervisor watches the trigger's folder and the --watch folder.
	sup, err := startTool(ctx, "supervisor --watch", filepath.Join(dir, "supervisor.log"), "", 2,
		o.Supervisor, "--trigger="+filepath.Join(dir, "ours.trigger"), "--watch="+filepath.Join(dir, "ours"), "--", o.App)
	if err != nil {
		return nil, err
	}
	defer sup.stop()
	entr, err := startTool(ctx, "entr", filepath.Join(dir, "entr.log"), strings.Join(theirFiles, "\n")+"\n", len(theirFiles),
		o.Entr, "-nrz", o.App)
	if err != nil {
		return nil, err
	}
	defer entr.stop()

	a, b, err := alternate(ctx, o, sup, entr,
		func() (time.Time, error) { return syncFiles(oursFiles) },
		func() (time.Time, error) { return syncFiles(theirFiles) })
	if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("a sync rewrites %d files; timed from the start of the last write; entr is fed the %d names; "+
		"ours waits for --debounce (default 100ms) of quiet by design, so that a sync of two execs (rm -rf, tar) restarts once", o.WatchFiles, o.WatchFiles) +
		lostNote(sup, entr)
	p50 := Figure{Name: fmt.Sprintf("restart with --watch p50 (%d files synced → new output)", o.WatchFiles), Value: percentile(a, 50), Unit: "ms", Samples: len(a), Note: note}.
		compare("entr -rz on the files", percentile(b, 50))
	p90 := Figure{Name: "restart with --watch p90", Value: percentile(a, 90), Unit: "ms", Samples: len(a)}.
		compare("entr -rz on the files", percentile(b, 90))
	return []Figure{p50, p90}, nil
}

// alternate takes o.Samples restarts of each tool, alternating which goes
// first in each round, and returns the latencies in milliseconds. A restart
// with no new output is a lost sample (counted in the tool's lost, for the
// figure's note), not the end of the run; a tool that lost every sample is.
func alternate(ctx context.Context, o RestartOptions, x, y *tool, fx, fy func() (time.Time, error)) ([]float64, []float64, error) {
	var xs, ys []float64
	for i := 0; i < o.Samples; i++ {
		order := []struct {
			t   *tool
			f   func() (time.Time, error)
			out *[]float64
		}{{x, fx, &xs}, {y, fy, &ys}}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, s := range order {
			d, err := s.t.restart(ctx, s.f)
			switch {
			case errors.Is(err, errNoOutput):
				s.t.lost++
				fmt.Fprintf(os.Stderr, "bench: restart: lost a sample: %v\n", err)
			case err != nil:
				return nil, nil, err
			default:
				*s.out = append(*s.out, ms(d))
			}
			if err := sleep(ctx, o.Gap); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, t := range []*tool{x, y} {
		if t.lost == o.Samples {
			return nil, nil, errors.Errorf("%s: every one of %d restarts lost: see %s", t.name, o.Samples, t.log)
		}
	}
	return xs, ys, nil
}

// lostNote is what a figure's note says of the tools' lost samples.
func lostNote(tools ...*tool) string {
	var lost []string
	for _, t := range tools {
		if t.lost > 0 {
			lost = append(lost, fmt.Sprintf("%s %d", t.name, t.lost))
		}
	}
	if len(lost) == 0 {
		return ""
	}
	return "; lost samples (no new app output within 10s of the write): " + strings.Join(lost, ", ")
}

// tool is a supervisor or entr running the app, with the app's stdout read
// line by line, each line stamped when the read returned.
type tool struct {
	name    string
	cmd     *exec.Cmd
	lines   chan stamped
	pid     int // the app's current pid, from its "ready pid=N" line
	log     string
	watches int // inotify watches the tool has when it is ready for a change
	lost    int // restarts that gave no new output
}

// errNoOutput is a restart whose new app never printed.
var errNoOutput = errors.New("no new app output within 10s")

type stamped struct {
	text string
	at   time.Time
}

// startTool starts argv with stdin (or /dev/null), its stdout on a pipe
// read by the harness and its stderr in logPath, and waits for the app's
// first line. watches is how many inotify watches the tool sets up (see
// [tool.ready]).
func startTool(ctx context.Context, name, logPath, stdin string, watches int, argv ...string) (*tool, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.Stdout, cmd.Stderr = pw, logf
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, errors.Wrapf(err, "failed to start %s", name)
	}
	pw.Close()
	t := &tool{name: name, cmd: cmd, lines: make(chan stamped, 64), log: logPath, watches: watches}
	go t.read(pr)
	pid, _, err := t.next(ctx, 0)
	if err != nil {
		t.stop()
		return nil, err
	}
	t.pid = pid
	return t, nil
}

func (t *tool) read(r io.ReadCloser) {
	defer r.Close()
	defer close(t.lines)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		t.lines <- stamped{text: sc.Text(), at: time.Now()}
	}
}

// next waits for a "ready pid=N" line from a pid other than old.
func (t *tool) next(ctx context.Context, old int) (int, time.Time, error) {
	timeout := time.NewTimer(10 * time.Second) // a hang guard
	defer timeout.Stop()
	for {
		select {
		case l, ok := <-t.lines:
			if !ok {
				return 0, time.Time{}, errors.Errorf("%s exited: %s", t.name, t.tail())
			}
			pid, err := strconv.Atoi(strings.TrimPrefix(l.text, "ready pid="))
			if err == nil && pid != old {
				return pid, l.at, nil
			}
		case <-timeout.C:
			return 0, time.Time{}, errors.Wrapf(errNoOutput, "%s (log: %s)", t.name, t.tail())
		case <-ctx.Done():
			return 0, time.Time{}, ctx.Err()
		}
	}
}

// restart waits until the tool is ready, drops any pending output, calls
// write and returns the time from the instant write returns to the new app's
// first line.
func (t *tool) restart(ctx context.Context, write func() (time.Time, error)) (time.Duration, error) {
	if err := t.ready(ctx); err != nil {
		return 0, err
	}
	for len(t.lines) > 0 {
		<-t.lines
	}
	begin, err := write()
	if err != nil {
		return 0, err
	}
	pid, at, err := t.next(ctx, t.pid)
	if err != nil {
		return 0, err
	}
	t.pid = pid
	return at.Sub(begin), nil
}

// ready waits until the tool watches what it should: its inotify watches, as
// /proc/PID/fdinfo lists them, number t.watches. A write before a watch is
// set is a change the tool never sees. That is not all of the bench's flake
// ("entr: no new app output within 10s"): entr also missed one sync of 10
// files in 100 with all its watches set, which [alternate] records as a lost
// sample.
func (t *tool) ready(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second) // a hang guard
	for {
		n, err := inotifyWatches(t.cmd.Process.Pid)
		if err != nil {
			return errors.Wrapf(err, "%s", t.name)
		}
		if n >= t.watches {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Errorf("%s has %d inotify watches after 10s, want %d: %s", t.name, n, t.watches, t.tail())
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
}

// inotifyWatches counts the inotify watches of process pid.
func inotifyWatches(pid int) (int, error) {
	dir := fmt.Sprintf("/proc/%d/fdinfo", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, fd := range fds {
		b, err := os.ReadFile(filepath.Join(dir, fd.Name()))
		if err != nil {
			continue // closed since ReadDir
		}
		n += strings.Count(string(b), "\ninotify wd:")
	}
	return n, nil
}

// stop asks the tool to stop (both stop the app and exit on SIGTERM), then
// kills it if it has not exited within 5 s.
func (t *tool) stop() {
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = t.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = t.cmd.Process.Kill()
		if t.pid > 0 {
			_ = syscall.Kill(t.pid, syscall.SIGKILL)
		}
		<-done
	}
}

// tail returns the end of the tool's log, for errors.
func (t *tool) tail() string {
	b, _ := os.ReadFile(t.log)
	if len(b) > 400 {
		b = b[len(b)-400:]
	}
	return strings.TrimSpace(string(b))
}

// writeContent rewrites p with the current time, as `date > p` does: a
// change of content, which every watcher sees (entr ignores a bare touch).
func writeContent(p string) error {
	return os.WriteFile(p, []byte(strconv.FormatInt(time.Now().UnixNano(), 10)+"\n"), 0o666)
}

// writeTimed rewrites p and returns when the write began.
func writeTimed(p string) (time.Time, error) {
	begin := time.Now()
	return begin, writeContent(p)
}

// syncFiles rewrites every file, as a sync of changed files does, and
// returns when the last write began.
func syncFiles(files []string) (time.Time, error) {
	var begin time.Time
	for _, p := range files {
		begin = time.Now()
		if err := writeContent(p); err != nil {
			return begin, err
		}
	}
	return begin, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

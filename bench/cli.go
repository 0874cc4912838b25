package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Main runs one step of hack/bench (the program name is not in args) and
// returns the exit code: 0, 1 when the step failed, 2 on bad usage.
//
//	bench restart    --supervisor BIN --entr BIN --app BIN --dir DIR --out FILE
//	bench sockets    --supervisor BIN --entr BIN --server BIN --dir DIR --out FILE
//	bench idle       --supervisor BIN --entr BIN --dir DIR --out FILE
//	bench stop       --wrapped IMAGE --unwrapped IMAGE --out FILE
//	bench liveupdate --image IMAGE --app DIR --out FILE
//	bench noshell    --image NAME=IMAGE... --out FILE
//	bench builds     --app DIR --supervisor BIN --entr BIN --dir DIR --out FILE
//	bench dockerbuilds --docker CLI --example DIR --dir DIR --out FILE
//	bench size       --binaries DIR --dir DIR --out FILE
//	bench kubernetes --kubeconfig FILE --app DIR --supervisor BIN --entr BIN --dir DIR --out FILE
//	bench report     --started UNIX --load LOADAVG --results FILE FIGURES.json...
//	bench page       --results FILE --out FILE
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: bench restart|sockets|idle|stop|liveupdate|noshell|builds|dockerbuilds|coldstart|size|kubernetes|report|page [flags]; see package bench")
		return 2
	}
	fs := flag.NewFlagSet("bench "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the figures to this JSON file")
	var run func() ([]Figure, error)
	switch args[0] {
	case "restart":
		var o RestartOptions
		fs.StringVar(&o.Supervisor, "supervisor", "", "supervisor binary")
		fs.StringVar(&o.Entr, "entr", "/usr/bin/entr", "entr binary")
		fs.StringVar(&o.App, "app", "", "the app: cmd/benchapp binary")
		fs.StringVar(&o.Dir, "dir", "", "scratch directory")
		fs.IntVar(&o.Samples, "samples", 100, "restarts of each tool per variant")
		fs.DurationVar(&o.Gap, "gap", 100*time.Millisecond, "pause after each restart")
		fs.IntVar(&o.WatchFiles, "watch-files", 10, "files per sync in the --watch variant")
		run = func() ([]Figure, error) { return Restart(ctx, o) }
	case "sockets":
		var o SocketsOptions
		fs.StringVar(&o.Supervisor, "supervisor", "", "supervisor binary")
		fs.StringVar(&o.Entr, "entr", "/usr/bin/entr", "entr binary")
		fs.StringVar(&o.Server, "server", "", "the server: cmd/benchserver binary")
		fs.StringVar(&o.Dir, "dir", "", "scratch directory")
		fs.IntVar(&o.Restarts, "restarts", 100, "restarts of each contender")
		fs.DurationVar(&o.Gap, "gap", 100*time.Millisecond, "pause before each restart")
		run = func() ([]Figure, error) { return Sockets(ctx, o) }
	case "idle":
		var o IdleOptions
		fs.StringVar(&o.Supervisor, "supervisor", "", "supervisor binary")
		fs.StringVar(&o.Entr, "entr", "/usr/bin/entr", "entr binary")
		fs.StringVar(&o.Dir, "dir", "", "scratch directory")
		fs.DurationVar(&o.Settle, "settle", time.Second, "wait after start before measuring")
		fs.DurationVar(&o.Window, "window", 10*time.Second, "idle window for CPU time")
		run = func() ([]Figure, error) { return Idle(ctx, o) }
	case "stop":
		var o StopOptions
		fs.StringVar(&o.Wrapped, "wrapped", "", "image built through the frontend")
		fs.StringVar(&o.Unwrapped, "unwrapped", "", "the same image built with RESTART_PROCESS=off")
		fs.IntVar(&o.Samples, "samples", 9, "docker stops of each image")
		fs.StringVar(&o.Label, "label", "dev.tilt.restart-frontend.bench", "label put on every container")
		run = func() ([]Figure, error) { return Stop(ctx, o) }
	case "liveupdate":
		var o LiveUpdateOptions
		fs.StringVar(&o.Image, "image", "", "image built through the frontend from bench/testdata/app")
		fs.StringVar(&o.App, "app", "", "bench/testdata/app")
		fs.IntVar(&o.Samples, "samples", 20, "round trips of each kind")
		fs.StringVar(&o.Label, "label", "dev.tilt.restart-frontend.bench", "label put on every container")
		run = func() ([]Figure, error) { return LiveUpdate(ctx, o) }
	case "noshell":
		var o NoShellOptions
		fs.Func("image", "NAME=IMAGE: an image of bench/testdata/static built with RESTART_TOOLS=on (repeat)", func(s string) error {
			im, err := parseNoShellImage(s)
			o.Images = append(o.Images, im)
			return err
		})
		fs.IntVar(&o.Samples, "samples", 20, "round trips of each kind per image")
		fs.StringVar(&o.Label, "label", "dev.tilt.restart-frontend.bench", "label put on every container")
		run = func() ([]Figure, error) { return LiveUpdateNoShell(ctx, o) }
	case "builds":
		var o BuildOptions
		buildFlags(fs, &o)
		fs.IntVar(&o.Warm, "warm", 25, "warm rebuilds of each flow")
		fs.IntVar(&o.Cold, "cold", 7, "cold builds of each flow")
		run = func() ([]Figure, error) { return Builds(ctx, o) }
	case "coldstart":
		var o ColdStartOptions
		fs.StringVar(&o.App, "app", "bench/testdata/app", "the app's folder (Dockerfile starting with # syntax=)")
		fs.StringVar(&o.Buildkitd, "buildkitd", "buildkitd", "buildkitd binary to start")
		fs.StringVar(&o.Runc, "runc", "/usr/sbin/runc", "OCI runtime of its worker")
		fs.StringVar(&o.Dir, "dir", "", "scratch directory")
		fs.StringVar(&o.Registry, "registry", os.Getenv("RIG_REGISTRY"), "the docker.io mirror, and where images are pushed")
		fs.StringVar(&o.Tag, "tag", "bench", "tag of every pushed image")
		fs.StringVar(&o.Upstream, "upstream", "docker/dockerfile-upstream:v0.34.2", "upstream frontend image")
		fs.IntVar(&o.Samples, "samples", 3, "cold builds of each flow, each on a new buildkitd")
		run = func() ([]Figure, error) { return ColdStart(ctx, o) }
	case "kubernetes":
		var o KubernetesOptions
		buildFlags(fs, &o.BuildOptions)
		fs.StringVar(&o.Kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
		fs.IntVar(&o.Samples, "samples", 10, "round trips of each contender")
		run = func() ([]Figure, error) { return Kubernetes(ctx, o) }
	case "dockerbuilds":
		var o DockerBuildOptions
		fs.StringVar(&o.Docker, "docker", "docker", "the docker CLI (DOCKER_HOST names the daemon)")
		fs.StringVar(&o.Daemon, "daemon", "Docker", "the daemon's name in the figures")
		fs.StringVar(&o.Example, "example", "examples/go-server", "examples/go-server")
		fs.StringVar(&o.Dir, "dir", "", "scratch directory")
		fs.StringVar(&o.Tag, "tag", "bench", "tag of every image")
		fs.StringVar(&o.Upstream, "upstream", "docker/dockerfile-upstream:v0.34.2", "upstream frontend image")
		fs.IntVar(&o.Warm, "warm", 9, "warm rebuilds of each flow")
		fs.IntVar(&o.Cold, "cold", 5, "cold builds of each flow")
		run = func() ([]Figure, error) { return DockerBuilds(ctx, o) }
	case "size":
		var o SizeOptions
		fs.StringVar(&o.Binaries, "binaries", "", "directory with app-<arch>, supervisor-<arch> and floor-<arch> for each platform")
		fs.StringVar(&o.Dir, "dir", "", "scratch directory")
		fs.StringVar(&o.Registry, "registry", os.Getenv("RIG_REGISTRY"), "registry to push to")
		fs.StringVar(&o.Tag, "tag", "bench", "tag of every pushed image")
		fs.StringVar(&o.Frontend, "frontend", "tiltdev/restart-frontend:latest", "frontend image whose size is measured")
		fs.StringVar(&o.Upstream, "upstream", "docker/dockerfile-upstream:v0.34.2", "upstream frontend image to compare it with")
		platforms := fs.String("platforms", "linux/amd64,linux/arm64", "comma-separated platforms")
		run = func() ([]Figure, error) {
			o.Platforms = strings.Split(*platforms, ",")
			return Size(ctx, o)
		}
	case "report":
		results := fs.String("results", "bench/results.json", "results file to write")
		started := fs.Int64("started", time.Now().Unix(), "start of the run, unix seconds")
		load := fs.String("load", "", "load average at the start of the run")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if err := Report(ctx, stdout, *results, time.Unix(*started, 0), *load, fs.Args()); err != nil {
			fmt.Fprintln(stderr, "bench report:", err)
			return 1
		}
		return 0
	case "page":
		results := fs.String("results", "bench/results.json", "results file to read")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if *out == "" {
			*out = "docs/benchmarks.md"
		}
		if err := WritePage(*results, *out); err != nil {
			fmt.Fprintln(stderr, "bench page:", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "bench: unknown step %q\n", args[0])
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *out == "" {
		fmt.Fprintf(stderr, "bench %s: --out is required\n", args[0])
		return 2
	}
	figs, err := run()
	if err != nil {
		fmt.Fprintf(stderr, "bench %s: %v\n", args[0], err)
		return 1
	}
	if err := WriteFigures(*out, figs); err != nil {
		fmt.Fprintf(stderr, "bench %s: %v\n", args[0], err)
		return 1
	}
	for _, f := range figs {
		line := fmt.Sprintf("  %s: %s", f.Name, formatValue(f.Value, f.Unit))
		if f.ComparisonValue != nil {
			line += fmt.Sprintf(" (%s: %s)", f.Comparison, formatValue(*f.ComparisonValue, f.Unit))
		}
		fmt.Fprintln(stderr, line)
	}
	return 0
}

// buildFlags are the flags of the builds that [Builds] and [Kubernetes]
// make.
func buildFlags(fs *flag.FlagSet, o *BuildOptions) {
	fs.StringVar(&o.App, "app", "", "bench/testdata/app")
	fs.StringVar(&o.Supervisor, "supervisor", "", "first helper binary of the two-image flow")
	fs.StringVar(&o.Entr, "entr", "/usr/bin/entr", "second helper binary of the two-image flow")
	fs.StringVar(&o.Dir, "dir", "", "scratch directory")
	fs.StringVar(&o.Registry, "registry", os.Getenv("RIG_REGISTRY"), "registry to push to")
	fs.StringVar(&o.Tag, "tag", "bench", "tag of every pushed image")
	fs.StringVar(&o.Upstream, "upstream", "docker/dockerfile-upstream:v0.34.2", "upstream frontend image")
}

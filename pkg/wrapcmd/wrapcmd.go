// Package wrapcmd is `restart-frontend wrap SRC DST`: it reads an image that
// something other than this frontend built (ko, Podman, Bazel, Jib, any
// registry image), wraps it with [rewrap] as the frontend would have, and
// writes it to DST. SRC and DST are transport names ([transport.Parse]).
//
// The options are the frontend's RESTART_* build args, read from the
// environment and then from -o NAME=VALUE flags, and checked by the
// frontend's own parser ([wrap.ParseOptions]).
package wrapcmd

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/cache"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/options"
	"github.com/tilt-dev/restart-frontend/pkg/rewrap"
	"github.com/tilt-dev/restart-frontend/pkg/transport"
	"github.com/tilt-dev/restart-frontend/pkg/version"
	"github.com/tilt-dev/restart-frontend/pkg/wrap"
)

// FrontendRepository is where releases of the frontend image are published.
const FrontendRepository = "tiltdev/restart-frontend"

const usage = `usage: restart-frontend wrap [flags] SRC DST

Makes the image SRC run its command under the restart supervisor, as the
restart frontend does for a Dockerfile, and writes it to DST. SRC and DST are
each one of:
  docker://REF or REF        an image in a registry
  oci:DIR[:TAG]              an OCI image layout folder
  docker-archive:FILE[:REF]  a docker save / podman save archive
  docker-daemon:REF          a Docker or Podman daemon (DOCKER_HOST)

Options are the frontend's build args (RESTART_TRIGGER, RESTART_TOOLS, ...),
from the environment or as -o NAME=VALUE, which wins.

flags:
`

// Run runs `wrap` with args (after the word wrap) and the environment env
// (NAME=VALUE), printing the written image's digest to stdout and warnings
// to stderr.
func Run(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("wrap", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, usage)
		fl.PrintDefaults()
	}
	var opts []string
	fl.Func("o", "a frontend option `NAME=VALUE`, e.g. -o RESTART_TOOLS=on (repeatable)", func(s string) error {
		opts = append(opts, s)
		return nil
	})
	frontend := fl.String("frontend", DefaultFrontend(), "the frontend image whose supervisors to add, as a transport name")
	cacheDir := fl.String("cache", defaultCache(), "a folder that keeps the frontend image's layers between runs; empty for none")
	platform := fl.String("platform", "linux/"+runtime.GOARCH, "the platform to take from an index when DST holds one image (docker-archive:, docker-daemon:)")
	// Flags may come before, between or after SRC and DST.
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			return err
		}
		if fl.NArg() == 0 {
			break
		}
		pos = append(pos, fl.Arg(0))
		args = fl.Args()[1:]
	}
	if len(pos) != 2 {
		fl.Usage()
		return errors.Errorf("want SRC and DST, got %d arguments", len(pos))
	}

	o, err := parseOptions(env, opts)
	if err != nil {
		return err
	}
	src, err := transport.Parse(pos[0])
	if err != nil {
		return errors.Wrap(err, "SRC")
	}
	dst, err := transport.Parse(pos[1])
	if err != nil {
		return errors.Wrap(err, "DST")
	}
	fe, err := transport.Parse(*frontend)
	if err != nil {
		return errors.Wrap(err, "--frontend")
	}
	epoch, err := sourceDateEpoch(env)
	if err != nil {
		return err
	}

	a, err := src.Read(ctx)
	if err != nil {
		return err
	}
	if a.Index != nil && dst.OnlyOneImage() {
		if a, err = pickPlatform(a.Index, *platform); err != nil {
			return errors.Wrapf(err, "%s holds one image", dst)
		}
	}
	if o.Enabled {
		sup, err := loadSupervisors(ctx, fe, *cacheDir)
		if err != nil {
			return err
		}
		w := &rewrap.Wrapper{Supervisors: sup, Options: o, Version: Version(), Epoch: epoch,
			Warn: func(s string) { fmt.Fprintln(stderr, "warning:", s) }}
		if a.Index != nil {
			a.Index, err = w.Index(a.Index)
		} else {
			a.Image, err = w.Image(a.Image)
		}
		if err != nil {
			return errors.Wrapf(err, "cannot wrap %s", src)
		}
	}
	if err := dst.Write(ctx, a); err != nil {
		return err
	}
	var d v1.Hash
	if a.Index != nil {
		d, err = a.Index.Digest()
	} else {
		d, err = a.Image.Digest()
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, d)
	return nil
}

// parseOptions reads the RESTART_* options from env, then opts, with the
// frontend's parser: the same names, defaults, checks and messages.
func parseOptions(env, opts []string) (wrap.Options, error) {
	args := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, options.EnvPrefix) {
			args[k] = v
		}
	}
	for _, kv := range opts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return wrap.Options{}, errors.Errorf("invalid option -o %q: write -o NAME=VALUE, e.g. -o RESTART_TOOLS=on", kv)
		}
		args[k] = v
	}
	return wrap.ParseOptions(args)
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH, which dates the added files and
// history as it does in BuildKit.
func sourceDateEpoch(env []string) (*time.Time, error) {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "SOURCE_DATE_EPOCH="); ok && v != "" {
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, errors.Errorf("invalid SOURCE_DATE_EPOCH=%q: want seconds since 1970, e.g. %s", v, "$(git log -1 --format=%ct)")
			}
			t := time.Unix(sec, 0).UTC()
			return &t, nil
		}
	}
	return nil, nil
}

// DefaultFrontend is the frontend image of this command's release, latest
// for a development build.
func DefaultFrontend() string {
	tag := Version()
	if tag == "dev" {
		tag = "latest"
	}
	return FrontendRepository + ":" + tag
}

// Version is the release of this command, as the frontend image of the same
// release labels images with it (1.2.3): the version it was linked with,
// else the module version `go install …@v1.2.3` records; "dev" for a
// development build.
func Version() string {
	if version.Version != "dev" {
		return version.Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		return releaseOf(info.Main.Version)
	}
	return "dev"
}

// pseudoVersion matches the end of a Go pseudo-version: a build of a commit
// that no release tags.
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}$`)

// releaseOf is the release of a module version: v1.2.3 is 1.2.3; a
// pseudo-version or "(devel)" is dev.
func releaseOf(moduleVersion string) string {
	if !strings.HasPrefix(moduleVersion, "v") || pseudoVersion.MatchString(moduleVersion) {
		return "dev"
	}
	return strings.TrimPrefix(moduleVersion, "v")
}

// loadSupervisors reads the supervisors from the frontend image at fe. Every
// platform of the frontend image carries all of them: the first will do.
func loadSupervisors(ctx context.Context, fe transport.Location, cacheDir string) (*rewrap.Supervisors, error) {
	a, err := fe.Read(ctx)
	if err != nil {
		return nil, errors.Wrap(err, "cannot read the frontend image that holds the supervisors (name another with --frontend)")
	}
	img := a.Image
	if a.Index != nil {
		m, err := a.Index.IndexManifest()
		if err != nil {
			return nil, err
		}
		for _, d := range m.Manifests {
			if d.MediaType.IsImage() && d.Platform != nil && d.Platform.OS != "unknown" {
				img, err = a.Index.Image(d.Digest)
				if err != nil {
					return nil, err
				}
				break
			}
		}
		if img == nil {
			return nil, errors.Errorf("the frontend image %s has no image for a platform", fe)
		}
	}
	if cacheDir != "" {
		img = cache.Image(img, cache.NewFilesystemCache(cacheDir))
	}
	return rewrap.LoadSupervisors(img, fe.String())
}

// defaultCache is the user's cache folder for this command: the frontend
// image is downloaded once per release, not on every wrap.
func defaultCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "restart-frontend", "layers")
}

// pickPlatform returns the image of platform p in idx.
func pickPlatform(idx v1.ImageIndex, p string) (transport.Artifact, error) {
	want, err := platforms.Parse(p)
	if err != nil {
		return transport.Artifact{}, errors.Errorf("invalid --platform %q: %v", p, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return transport.Artifact{}, err
	}
	match := platforms.Only(want)
	var have []string
	for _, d := range m.Manifests {
		if d.Platform == nil || !d.MediaType.IsImage() {
			continue
		}
		have = append(have, d.Platform.String())
		if match.Match(ocispecs.Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant}) {
			img, err := idx.Image(d.Digest)
			return transport.Artifact{Image: img}, err
		}
	}
	return transport.Artifact{}, errors.Errorf("the source has no image for %s; choose one of %v with --platform", platforms.Format(want), have)
}

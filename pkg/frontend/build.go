// Package frontend is the restart frontend's BuildKit gateway entry point.
//
// [Build] builds the Dockerfile with BuildKit's own dockerfile frontend (as a
// library, so every Dockerfile feature behaves exactly as upstream at the
// same BuildKit version), then, for each platform of the result, appends the
// supervisor layer ([llb.Append]) and rewrites the image config
// ([wrap.Image]) so the image runs its own command under the supervisor.
//
// Subrequests (outline, targets, lint) and builds with RESTART_PROCESS=off
// are passed to the upstream frontend untouched. In a multi-platform build, a
// platform with no supervisor (windows/amd64 next to linux/amd64) is left as
// upstream built it, with a warning that names it.
package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	commonexptypes "github.com/moby/buildkit/exporter/exptypes"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
	"golang.org/x/sync/errgroup"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/llb"
	"github.com/tilt-dev/restart-frontend/pkg/options"
	"github.com/tilt-dev/restart-frontend/pkg/version"
	"github.com/tilt-dev/restart-frontend/pkg/wrap"
)

const (
	// keyRequestID marks a subrequest (outline, targets, lint, ...).
	keyRequestID = "requestid"
	// keySource names the frontend image when BuildKit forwards to it, as
	// the dockerfile frontend does for a `# syntax=` line.
	keySource = "source"
	// keyApplied is result metadata that says the supervisor is already in
	// the result: set by an inner run of this frontend, read by an outer one
	// when a build is forwarded through it twice.
	keyApplied = "restart-frontend.applied"
	// keyBuildArg starts the key of every build arg in the frontend's
	// options: "build-arg:NAME".
	keyBuildArg = "build-arg:"
)

// Build is the frontend's BuildFunc.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	opts := c.BuildOpts().Opts
	o, err := wrap.ParseOptions(restartArgs(opts))
	if err != nil {
		return nil, err
	}
	if !o.Enabled || opts[keyRequestID] != "" {
		return builder.Build(ctx, c)
	}

	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	if err := checkPlatforms(bc); err != nil {
		return nil, err
	}
	src, err := supervisorSource(c)
	if err != nil {
		return nil, err
	}

	res, err := builder.Build(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, ok := res.Metadata[keyApplied]; ok {
		return res, nil
	}
	// The upstream frontend has read the Dockerfile already: this is a
	// cache hit, for the warnings and the source map of the appended steps.
	df, err := bc.ReadEntrypoint(ctx, "Dockerfile")
	if err != nil {
		return nil, err
	}
	if err := appendSupervisor(ctx, c, bc, df, res, o, src); err != nil {
		return nil, err
	}
	res.AddMeta(keyApplied, []byte(version.Version))
	return res, nil
}

// restartArgs picks this frontend's options out of the frontend's options:
// the build args in the RESTART_ namespace, by name. The others are the
// Dockerfile's, for the upstream frontend.
func restartArgs(opts map[string]string) map[string]string {
	args := map[string]string{}
	for key, value := range opts {
		if name, ok := strings.CutPrefix(key, keyBuildArg); ok && strings.HasPrefix(name, options.EnvPrefix) {
			args[name] = value
		}
	}
	return args
}

// checkPlatforms fails before any build step runs when no target platform
// has a supervisor: then nothing would get one, and the user asked for it.
// Where some have one, the others are built as upstream builds them
// ([appender.platform] warns).
func checkPlatforms(bc *dockerui.Client) error {
	targets := bc.TargetPlatforms
	if len(targets) == 0 {
		targets = bc.BuildPlatforms[:1]
	}
	var first error
	for _, p := range targets {
		_, err := wrap.SourcePath(p)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// currentFrontender is the gateway client of a frontend that runs from an
// image (grpcclient); it is not part of client.Client.
type currentFrontender interface {
	CurrentFrontend() (*bkllb.State, error)
}

// supervisorSource returns the state that holds the supervisor binaries: the
// frontend's own image. Daemons that do not expose it (Docker 20.10's
// BuildKit; in-process runs) get the image named by the "source" option.
func supervisorSource(c client.Client) (bkllb.State, error) {
	if cf, ok := c.(currentFrontender); ok {
		st, err := cf.CurrentFrontend()
		if err != nil {
			return bkllb.State{}, errors.Wrap(err, "failed to read the frontend's own image")
		}
		if st != nil {
			return *st, nil
		}
	}
	ref := c.BuildOpts().Opts[keySource]
	if ref == "" {
		return bkllb.State{}, errors.New("cannot find the supervisor binaries: this BuildKit does not say which image runs the frontend, and no \"source\" option names it; " +
			"run the frontend through `# syntax=` or as gateway.v0 with --opt source=IMAGE")
	}
	// The frontend image is made for the platform the frontend runs on,
	// whatever the build's target platform.
	return bkllb.Image(ref,
		bkllb.Platform(ownPlatform()),
		bkllb.WithCustomName("[restart] load supervisors from "+ref),
	), nil
}

// appender adds the supervisor to the platforms of one build's result.
type appender struct {
	c            client.Client
	cacheImports []client.CacheOptionsEntry
	opts         wrap.Options
	source       bkllb.State // the frontend image, holding the supervisors
	merge        bool        // the daemon supports MergeOp
	// includePatterns: the daemon's copies take include patterns.
	includePatterns bool
	dockerfile      *dockerui.Source
}

// appendSupervisor rewrites every platform of res in place: a new ref with
// the supervisor layer and a wrapped image config.
func appendSupervisor(ctx context.Context, c client.Client, bc *dockerui.Client, df *dockerui.Source, res *client.Result, o wrap.Options, src bkllb.State) error {
	ps, err := exptypes.ParsePlatforms(res.Metadata)
	if err != nil {
		return err
	}
	caps := c.BuildOpts().LLBCaps
	a := &appender{c: c, cacheImports: bc.CacheImports, opts: o, source: src, merge: caps.Supports(pb.CapMergeOp) == nil,
		includePatterns: caps.Supports(pb.CapFileCopyIncludeExcludePatterns) == nil, dockerfile: df}
	// The frontend image's own step maps to the same line as the layer's.
	if a.source, err = llb.Locate(ctx, a.source, a.dockerfile.Location(a.requestRange())); err != nil {
		return err
	}

	var mu sync.Mutex // guards res
	eg, ctx := errgroup.WithContext(ctx)
	for _, p := range ps.Platforms {
		eg.Go(func() error {
			mu.Lock()
			ref, cfgKey, epochKey := platformRef(res, p.ID)
			cfg, epoch := res.Metadata[cfgKey], res.Metadata[epochKey]
			mu.Unlock()
			if _, err := wrap.SourcePath(p.Platform); err != nil {
				a.dockerfile.Warn(ctx, fmt.Sprintf("%s is built without the supervisor: %v", p.ID, err), client.WarnOpts{Level: 1, Range: a.requestRange()})
				return nil
			}

			newRef, newCfg, err := a.platform(ctx, ref, cfg, epoch, p.Platform)
			if err != nil {
				return errors.Wrapf(err, "failed to add the supervisor for %s", p.ID)
			}

			mu.Lock()
			defer mu.Unlock()
			if len(res.Refs) > 0 {
				res.AddRef(p.ID, newRef)
			} else {
				res.SetRef(newRef)
			}
			res.AddMeta(cfgKey, newCfg)
			return nil
		})
	}
	return eg.Wait()
}

// platformRef returns the ref of platform id and the metadata keys of its
// image config and epoch: suffixed with the id in a multi-platform result,
// plain in a single-platform one.
func platformRef(res *client.Result, id string) (client.Reference, string, string) {
	if len(res.Refs) > 0 {
		return res.Refs[id],
			fmt.Sprintf("%s/%s", exptypes.ExporterImageConfigKey, id),
			fmt.Sprintf("%s/%s", commonexptypes.ExporterEpochKey, id)
	}
	return res.Ref, exptypes.ExporterImageConfigKey, commonexptypes.ExporterEpochKey
}

// platform solves one platform's image with the supervisor layer and returns
// the new ref and image config.
func (a *appender) platform(ctx context.Context, ref client.Reference, cfg, epoch []byte, p ocispecs.Platform) (client.Reference, []byte, error) {
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(cfg, &img); err != nil {
		return nil, nil, errors.Wrap(err, "failed to parse the image config")
	}
	// The supervisor must run where the image runs: the platform its config
	// names. The result's platform id can differ from it: with no target
	// platform, the upstream builder names its result after the platform
	// the frontend itself runs on (platforms.DefaultSpec), which is not the
	// worker's when an arm64 frontend image runs under emulation.
	if img.OS != "" && img.Architecture != "" {
		p = platforms.Normalize(ocispecs.Platform{OS: img.OS, Architecture: img.Architecture, Variant: img.Variant})
	}
	wrapped, err := wrap.Image(img, a.opts, version.Version)
	if err != nil {
		return nil, nil, err
	}

	base := bkllb.Scratch()
	if ref != nil {
		if err := wrap.CheckTrigger(refStatter{ctx, ref}, a.opts.Trigger()); err != nil {
			return nil, nil, err
		}
		if base, err = ref.ToState(); err != nil {
			return nil, nil, err
		}
	}
	created, err := layerTime(epoch)
	if err != nil {
		return nil, nil, err
	}
	var tools []string
	if a.opts.Tools {
		var image wrap.Statter // nil for scratch
		if ref != nil {
			image = refStatter{ctx, ref}
		}
		if tools, err = wrap.MissingTools(image, img.Config.Env); err != nil {
			return nil, nil, err
		}
	}
	st, layers, err := llb.Append(base, llb.Layer{Source: a.source, Platform: p, Trigger: a.opts.Trigger(), Tools: tools, Epoch: created, Merge: a.merge, IncludePatterns: a.includePatterns,
		Location: a.dockerfile.Location(a.requestRange())})
	if err != nil {
		return nil, nil, err
	}
	dated := created
	if len(epoch) == 0 {
		dated = time.Now().UTC()
	}
	wrapped.History = append(wrapped.History, history(layers, dated)...)
	newCfg, err := json.Marshal(wrapped)
	if err != nil {
		return nil, nil, errors.Wrap(err, "failed to marshal the image config")
	}
	def, err := st.Marshal(ctx, bkllb.Platform(p))
	if err != nil {
		return nil, nil, errors.Wrap(err, "failed to marshal LLB definition")
	}
	r, err := a.c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: a.cacheImports})
	if err != nil {
		return nil, nil, err
	}
	newRef, err := r.SingleRef()
	if err != nil {
		return nil, nil, err
	}
	return newRef, newCfg, nil
}

// requestRange is the range in the Dockerfile that asked for the supervisor:
// the `# syntax=` line, or the first line when this frontend was chosen
// another way (BUILDKIT_SYNTAX, gateway.v0 with --opt source=). The appended
// steps map to it, so their progress and errors point at it.
func (a *appender) requestRange() []*pb.Range {
	r := &pb.Range{Start: &pb.Position{Line: 1}, End: &pb.Position{Line: 1}}
	if _, _, loc, ok := parser.DetectSyntax(a.dockerfile.Data); ok && len(loc) > 0 {
		r = &pb.Range{
			Start: &pb.Position{Line: int32(loc[0].Start.Line), Character: int32(loc[0].Start.Character)},
			End:   &pb.Position{Line: int32(loc[0].End.Line), Character: int32(loc[0].End.Character)},
		}
	}
	return []*pb.Range{r}
}

// refStatter is the image of a BuildKit reference for [wrap.CheckTrigger]
// and [wrap.MissingTools]. StatFile follows symbolic links, as the copy does.
type refStatter struct {
	ctx context.Context
	ref client.Reference
}

func (r refStatter) Stat(p string) (os.FileMode, int64, error) {
	st, err := r.ref.StatFile(r.ctx, client.StatRequest{Path: p})
	if err != nil {
		return 0, 0, err
	}
	return os.FileMode(st.Mode), st.Size, nil
}

// history returns the image's history entries for the layers the
// supervisor adds, as upstream writes one for each layer of the Dockerfile:
// dated with the build's SOURCE_DATE_EPOCH when it has one, else now. Without
// them the exporter would date the layers with their creation in its cache,
// which for the layer every image shares is the first build that made it.
func history(layers []string, created time.Time) []ocispecs.History {
	h := make([]ocispecs.History, 0, len(layers))
	for _, what := range layers {
		h = append(h, ocispecs.History{Created: &created, CreatedBy: "[restart] " + what, Comment: contract.HistoryComment})
	}
	return h
}

// layerTime is the modification time of the files the layer adds: the
// build's SOURCE_DATE_EPOCH when it has one, else the Unix epoch, so the
// layer is the same on every rebuild.
func layerTime(epoch []byte) (time.Time, error) {
	if len(epoch) == 0 {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(string(epoch), 10, 64)
	if err != nil {
		return time.Time{}, errors.Wrapf(err, "invalid %s %q", commonexptypes.ExporterEpochKey, epoch)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// Package rewrap makes an existing image run under the restart supervisor,
// with no BuildKit involved: it gives a [v1.Image] or [v1.ImageIndex] the
// image config that [wrap.Image] writes and the files that pkg/llb's layer
// adds, with the same modes and owners.
//
// Base layers are never read when the defaults are used: the result refers
// to them as the source did, so a registry-to-registry wrap moves only the
// new layer, the config and the manifests. A trigger outside the default
// path, or RESTART_TOOLS=on, needs to know what the image has at a few paths,
// and so reads its layers.
//
// The layer with the supervisor (and a trigger in the root folder) is the
// same blob for every image of a platform, so a registry stores it once.
// Wrapping a wrapped image first drops the layers an earlier wrap added on
// top, so the result has one supervisor, as if the original had been
// wrapped.
package rewrap

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"time"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/wrap"
)

// Wrapper wraps images with one set of options.
type Wrapper struct {
	Supervisors *Supervisors
	Options     wrap.Options
	// Version labels the images, as the frontend labels them with its own.
	Version string
	// Epoch dates the added files and their history entries; nil dates the
	// files at the Unix epoch, as the frontend does without
	// SOURCE_DATE_EPOCH, and the history entries at the image's creation.
	Epoch *time.Time
	// Warn reports a platform left as it was.
	Warn func(string)

	shared map[string]v1.Layer // the supervisor layer, by platform and media type
}

// Index wraps every platform of idx that has a supervisor and keeps the
// others (windows, attestation manifests) as they were, with a warning. It
// fails as the frontend does when no platform has a supervisor.
func (w *Wrapper) Index(idx v1.ImageIndex) (v1.ImageIndex, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var adds []mutate.IndexAddendum
	wrapped := 0
	var first error
	for _, d := range m.Manifests {
		add := mutate.IndexAddendum{Descriptor: d}
		id := describe(d)
		if !d.MediaType.IsImage() {
			w.warn(fmt.Sprintf("%s is kept without the supervisor: it is a %s, not an image", id, d.MediaType))
			if add.Add, err = idx.ImageIndex(d.Digest); err != nil {
				return nil, err
			}
			adds = append(adds, add)
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, err
		}
		add.Add = img
		p, err := imagePlatform(img, d.Platform)
		if err != nil {
			return nil, err
		}
		if _, err := w.Supervisors.binary(p, contract.SupervisorName); err != nil {
			w.warn(fmt.Sprintf("%s is kept without the supervisor: %v", id, err))
			first = cmpOr(first, err)
			adds = append(adds, add)
			continue
		}
		if add.Add, err = w.Image(img); err != nil {
			return nil, errors.Wrapf(err, "failed to add the supervisor for %s", id)
		}
		// The descriptor keeps its platform and annotations; its digest,
		// size and embedded data are the new image's.
		add.Digest, add.Size, add.Data = v1.Hash{}, 0, nil
		wrapped++
		adds = append(adds, add)
	}
	if wrapped == 0 {
		if first == nil {
			first = errors.New("the index holds no image")
		}
		return nil, first
	}
	out := mutate.RemoveManifests(idx, func(v1.Descriptor) bool { return true })
	return mutate.AppendManifests(out, adds...), nil
}

// Image wraps one image for the platform its config names.
func (w *Wrapper) Image(img v1.Image) (v1.Image, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, errors.Wrap(err, "failed to parse the image config")
	}
	if len(cfg.Config.Entrypoint) == 0 && len(cfg.Config.Cmd) == 0 {
		return nil, errors.New("the image has neither ENTRYPOINT nor CMD, so the supervisor has nothing to run; give the image a command when you build it")
	}
	p, err := imagePlatform(img, nil)
	if err != nil {
		return nil, err
	}
	base, cfg, err := unwrapLayers(img, cfg)
	if err != nil {
		return nil, err
	}
	wrapped, err := wrap.Image(cfg, w.Options, w.Version)
	if err != nil {
		return nil, err
	}

	var fs *fileSystem
	trigger := w.Options.Trigger()
	if w.Options.Tools || trigger != contract.DefaultTrigger {
		if fs, err = readFileSystem(base); err != nil {
			return nil, err
		}
		if err := wrap.CheckTrigger(fs, trigger); err != nil {
			return nil, err
		}
	}
	var tools []string
	if w.Options.Tools {
		if tools, err = wrap.MissingTools(fs, cfg.Config.Env); err != nil {
			return nil, err
		}
	}

	mt, err := layerMediaType(img)
	if err != nil {
		return nil, err
	}
	shared, onTop, err := w.layers(p, mt, fs, tools)
	if err != nil {
		return nil, err
	}
	dated := w.fileTime()
	if w.Epoch == nil && cfg.Created != nil {
		dated = *cfg.Created
	}
	addenda := []mutate.Addendum{{Layer: shared, MediaType: mt}}
	added := []string{w.sharedContent(len(tools) > 0).what()}
	if len(onTop.entries) > 0 {
		l, err := onTop.tarball(w.fileTime(), mt)
		if err != nil {
			return nil, err
		}
		addenda = append(addenda, mutate.Addendum{Layer: l, MediaType: mt})
		added = append(added, onTop.what())
	}
	out, err := mutate.Append(base, addenda...)
	if err != nil {
		return nil, err
	}
	for _, what := range added {
		wrapped.History = append(wrapped.History, ocispecs.History{Created: &dated, CreatedBy: "[restart] " + what, Comment: contract.HistoryComment})
	}
	return withConfig(out, wrapped)
}

func (w *Wrapper) fileTime() time.Time {
	if w.Epoch != nil {
		return *w.Epoch
	}
	return time.Unix(0, 0).UTC()
}

func (w *Wrapper) warn(s string) {
	if w.Warn != nil {
		w.Warn(s)
	}
}

// sharedContent is what the shared layer holds, without the binaries: the
// supervisor folder, the tools binary when links to it are added (as
// pkg/llb adds it only then) and a trigger in the root folder, as pkg/llb
// merges them.
func (w *Wrapper) sharedContent(withTools bool) layer {
	var l layer
	l.names = []string{"supervisor"}
	l.entries = []entry{{path: contract.SupervisorDir, mode: os.ModeDir | contract.DirMode}, {path: contract.SupervisorPath, mode: contract.SupervisorMode}}
	if withTools {
		l.names = append(l.names, "tools")
		l.entries = append(l.entries, entry{path: contract.ToolsPath, mode: contract.SupervisorMode})
	}
	if t := w.Options.Trigger(); path.Dir(t) == "/" {
		l.names = append(l.names, "trigger "+t)
		l.entries = append(l.entries, entry{path: t, mode: contract.TriggerMode})
	}
	return l
}

// layers returns the shared layer of platform p and what goes on top of the
// image: a trigger in another folder and the tool links, each with the
// folders the image lacks.
func (w *Wrapper) layers(p v1.Platform, mt types.MediaType, fs *fileSystem, tools []string) (v1.Layer, layer, error) {
	shared := w.sharedContent(len(tools) > 0)
	key := fmt.Sprintf("%s %s tools=%t", platforms.Format(ociPlatform(p)), mt, len(tools) > 0)
	if w.shared == nil {
		w.shared = map[string]v1.Layer{}
	}
	if w.shared[key] == nil {
		for i, e := range shared.entries {
			var err error
			switch e.path {
			case contract.SupervisorPath:
				shared.entries[i].data, err = w.Supervisors.binary(p, contract.SupervisorName)
			case contract.ToolsPath:
				shared.entries[i].data, err = w.Supervisors.binary(p, contract.ToolsName)
			}
			if err != nil {
				return nil, layer{}, err
			}
		}
		l, err := shared.tarball(w.fileTime(), mt)
		if err != nil {
			return nil, layer{}, err
		}
		w.shared[key] = l
	}

	var onTop layer
	seen := map[string]bool{}
	inFolder := func(e entry) {
		var dirs []entry
		for d := path.Dir(e.path); d != "/" && !seen[d] && !fs.has(d); d = path.Dir(d) {
			seen[d] = true
			dirs = append(dirs, entry{path: d, mode: os.ModeDir | contract.DirMode})
		}
		slices.Reverse(dirs)
		onTop.entries = append(onTop.entries, dirs...)
		onTop.entries = append(onTop.entries, e)
	}
	if t := w.Options.Trigger(); path.Dir(t) != "/" {
		onTop.names = append(onTop.names, "trigger "+t)
		inFolder(entry{path: t, mode: contract.TriggerMode})
	}
	for _, link := range tools {
		target, err := w.Supervisors.link(path.Base(link))
		if err != nil {
			return nil, layer{}, err
		}
		onTop.names = append(onTop.names, link)
		inFolder(entry{path: link, mode: os.ModeSymlink | 0o777, link: target})
	}
	return w.shared[key], onTop, nil
}

// unwrapLayers drops the layers an earlier wrap put on top of img (its last
// history entries, marked with [contract.HistoryComment]), so the supervisor is
// replaced rather than added twice. An image with more layers on top of a
// wrapped base is kept whole: the new layer replaces the supervisor file.
func unwrapLayers(img v1.Image, cfg dockerspec.DockerOCIImage) (v1.Image, dockerspec.DockerOCIImage, error) {
	n := 0
	for i := len(cfg.History) - 1; i >= 0 && cfg.History[i].Comment == contract.HistoryComment && !cfg.History[i].EmptyLayer; i-- {
		n++
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, cfg, err
	}
	if n == 0 || n > len(layers) || n > len(cfg.RootFS.DiffIDs) {
		return img, cfg, nil
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, cfg, err
	}
	base := mutate.MediaType(empty.Image, m.MediaType)
	base = mutate.ConfigMediaType(base, m.Config.MediaType)
	if len(m.Annotations) > 0 {
		base = mutate.Annotations(base, m.Annotations).(v1.Image)
	}
	var adds []mutate.Addendum
	for i, l := range layers[:len(layers)-n] {
		adds = append(adds, mutate.Addendum{Layer: l, MediaType: m.Layers[i].MediaType, Annotations: m.Layers[i].Annotations})
	}
	if base, err = mutate.Append(base, adds...); err != nil {
		return nil, cfg, err
	}
	cfg.History = cfg.History[:len(cfg.History)-n]
	cfg.RootFS.DiffIDs = cfg.RootFS.DiffIDs[:len(cfg.RootFS.DiffIDs)-n]
	return base, cfg, nil
}

// imagePlatform is the platform an image runs on: its config's, as the
// frontend reads it, else the index's descriptor's.
func imagePlatform(img v1.Image, desc *v1.Platform) (v1.Platform, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Platform{}, err
	}
	if cf.OS != "" && cf.Architecture != "" {
		return v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}, nil
	}
	if desc != nil {
		return *desc, nil
	}
	return v1.Platform{OS: "unknown", Architecture: "unknown"}, nil
}

func ociPlatform(p v1.Platform) ocispecs.Platform {
	return platforms.Normalize(ocispecs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant})
}

// describe names a manifest of an index for warnings: its platform, or its
// digest.
func describe(d v1.Descriptor) string {
	if d.Platform != nil {
		return d.Platform.String()
	}
	return d.Digest.String()
}

// layerMediaType is the media type of the added layers: OCI in an OCI
// image, Docker's in a Docker image.
func layerMediaType(img v1.Image) (types.MediaType, error) {
	mt, err := img.MediaType()
	if err != nil {
		return "", err
	}
	if mt == types.DockerManifestSchema2 {
		return types.DockerLayer, nil
	}
	return types.OCILayer, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// fileSystem is what an image has at each path: the modes and sizes of the
// flattened layers' entries.
type fileSystem struct {
	entries map[string]*tar.Header
}

// readFileSystem reads the headers of every layer of img (whiteouts
// applied); it downloads the layers.
func readFileSystem(img v1.Image) (*fileSystem, error) {
	fs := &fileSystem{entries: map[string]*tar.Header{}}
	rc := mutate.Extract(img)
	defer rc.Close()
	err := walk(rc, func(h *tar.Header, _ io.Reader) error {
		fs.entries[absPath(h.Name)] = h
		return nil
	})
	if err != nil {
		return nil, errors.Wrap(err, "failed to read the image's layers")
	}
	return fs, nil
}

// Stat is what the image has at p, for [wrap.CheckTrigger] and
// [wrap.MissingTools]; a nil fileSystem (the layers were not read) has
// nothing.
func (fs *fileSystem) Stat(p string) (os.FileMode, int64, error) {
	if fs == nil {
		return 0, 0, os.ErrNotExist
	}
	h, ok := fs.entries[p]
	if !ok {
		return 0, 0, os.ErrNotExist
	}
	return h.FileInfo().Mode(), h.Size, nil
}

func (fs *fileSystem) has(p string) bool {
	_, _, err := fs.Stat(p)
	return err == nil
}

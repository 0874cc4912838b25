package bench

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/pkg/errors"
)

// SizeOptions configures [Size].
type SizeOptions struct {
	// Binaries holds, for each platform, static builds cross-compiled as the
	// frontend image builds the supervisor: app-<arch> (cmd/benchapp, so no
	// platform needs emulation to build), supervisor-<arch> and floor-<arch>
	// (bench/testdata/floor).
	Binaries  string
	Dir       string
	Registry  string
	Tag       string
	Platforms []string
	// Frontend and Upstream are the frontend image and upstream's
	// (docker/dockerfile-upstream at the same BuildKit) on Registry, whose
	// compressed sizes are compared per platform.
	Frontend string
	Upstream string
}

// Size builds a FROM scratch image of a static Go app for every platform
// through our frontend, once wrapped and once with RESTART_PROCESS=off, and
// compares their manifests on the registry: the layers only the wrapped
// image has are what the frontend adds, counted compressed (the manifest's
// sizes) and uncompressed (the gunzipped blobs). Beside them: the smallest
// Go program that runs a child and relays signals, built the same way, the
// size no Go supervisor goes below.
func Size(ctx context.Context, o SizeOptions) ([]Figure, error) {
	dir := filepath.Join(o.Dir, "size")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, p := range o.Platforms {
		arch := strings.Split(p, "/")[1]
		b, err := os.ReadFile(filepath.Join(o.Binaries, "app-"+arch))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "app-"+arch), b, 0o755); err != nil {
			return nil, err
		}
	}
	df := "# syntax=tiltdev/restart-frontend\nFROM scratch\nARG TARGETARCH\nCOPY app-${TARGETARCH} /app\nENTRYPOINT [\"/app\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return nil, err
	}
	images := map[string]string{}
	for _, mode := range []string{"on", "off"} {
		images[mode] = o.Registry + "/restart-bench/size-" + mode + ":" + o.Tag
		if _, err := command(ctx, nil, "buildctl", "build", "--progress=plain", "--frontend", "dockerfile.v0",
			"--local", "context="+dir, "--local", "dockerfile="+dir,
			"--opt", "platform="+strings.Join(o.Platforms, ","), "--opt", "build-arg:RESTART_PROCESS="+mode,
			"--output", "type=image,name="+images[mode]+",push=true,registry.insecure=true"); err != nil {
			return nil, err
		}
	}
	var figs []Figure
	for _, p := range o.Platforms {
		on, err := platformLayers(ctx, images["on"], p)
		if err != nil {
			return nil, err
		}
		off, err := platformLayers(ctx, images["off"], p)
		if err != nil {
			return nil, err
		}
		inOff := map[string]bool{}
		for _, l := range off {
			inOff[l.Digest] = true
		}
		var added []layer
		for _, l := range on {
			if !inOff[l.Digest] {
				added = append(added, l)
			}
		}
		addedZ, addedU, err := layerSizes(ctx, images["on"], added)
		if err != nil {
			return nil, err
		}
		offZ, offU, err := layerSizes(ctx, images["off"], off)
		if err != nil {
			return nil, err
		}
		u := Figure{Name: "image size added, " + p + ", uncompressed", Value: float64(addedU) / mib, Unit: "MiB", Samples: 1,
			Note: fmt.Sprintf("%d layer(s) only the wrapped image has: %d bytes; the RESTART_PROCESS=off image is FROM scratch plus a static Go app", len(added), addedU)}.
			compare("RESTART_PROCESS=off image", float64(offU)/mib)
		u = u.target("≤ 1.5 MiB", u.Value <= 1.5)
		z := Figure{Name: "image size added, " + p + ", compressed", Value: float64(addedZ) / mib, Unit: "MiB", Samples: 1,
			Note: fmt.Sprintf("%d bytes", addedZ)}.compare("RESTART_PROCESS=off image", float64(offZ)/mib)
		floor, err := goFloor(o.Binaries, p)
		if err != nil {
			return nil, err
		}
		frontend, err := frontendSize(ctx, o, p)
		if err != nil {
			return nil, err
		}
		figs = append(figs, u, z, floor, frontend)
	}
	return figs, nil
}

// frontendSize compares the compressed size of the frontend image for
// platform p (what a daemon pulls for `# syntax=`) with upstream's. The rig
// makes upstream's image for its own platform only: for other platforms the
// comparison is with that one (the gateway binaries differ little between
// arches).
func frontendSize(ctx context.Context, o SizeOptions, p string) (Figure, error) {
	ours, err := platformLayers(ctx, o.Registry+"/"+o.Frontend, p)
	if err != nil {
		return Figure{}, err
	}
	upstreamPlatform := p
	up, err := platformLayers(ctx, o.Registry+"/"+o.Upstream, p)
	if err != nil {
		upstreamPlatform = "linux/" + runtime.GOARCH
		if up, err = platformLayers(ctx, o.Registry+"/"+o.Upstream, upstreamPlatform); err != nil {
			return Figure{}, err
		}
	}
	var oursZ, upZ int64
	for _, l := range ours {
		oursZ += l.Size
	}
	for _, l := range up {
		upZ += l.Size
	}
	f := Figure{Name: "frontend image, " + p + ", compressed", Value: float64(oursZ) / mib, Unit: "MiB", Samples: 1,
		Note: fmt.Sprintf("%d bytes in %d layers: the gateway binary and the supervisors and tools of all platforms; upstream (%s): %d bytes",
			oursZ, len(ours), upstreamPlatform, upZ)}.compare(o.Upstream, float64(upZ)/mib)
	return f.target("≤ 2× upstream", f.ratio() <= 2), nil
}

// goFloor compares, for platform p, the size of bench/testdata/floor with the
// supervisor's.
func goFloor(binaries, p string) (Figure, error) {
	arch := strings.Split(p, "/")[1]
	floor, err := os.Stat(filepath.Join(binaries, "floor-"+arch))
	if err != nil {
		return Figure{}, err
	}
	sup, err := os.Stat(filepath.Join(binaries, "supervisor-"+arch))
	if err != nil {
		return Figure{}, err
	}
	return Figure{Name: "Go floor, " + p + ": a program that only runs a child and relays signals", Value: float64(floor.Size()) / mib,
		Unit: "MiB", Samples: 1, Note: fmt.Sprintf("bench/testdata/floor, %d bytes; the supervisor: %d bytes; both static, -trimpath, "+
			"-ldflags \"-s -w\", %s", floor.Size(), sup.Size(), runtime.Version())}.
		compare("supervisor binary", float64(sup.Size())/mib), nil
}

const mib = 1 << 20

type layer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// platformLayers returns the layers of image's manifest for platform.
func platformLayers(ctx context.Context, image, platform string) ([]layer, error) {
	out, err := command(ctx, nil, "crane", "manifest", "--insecure", image)
	if err != nil {
		return nil, err
	}
	var index struct {
		Layers    []layer `json:"layers"`
		Manifests []struct {
			Digest   string `json:"digest"`
			Platform struct {
				OS           string `json:"os"`
				Architecture string `json:"architecture"`
			} `json:"platform"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(out), &index); err != nil {
		return nil, errors.Wrapf(err, "failed to read the index of %s", image)
	}
	osArch := strings.Split(platform, "/")
	if index.Manifests == nil {
		// One image, not an index: its config says its platform.
		out, err := command(ctx, nil, "crane", "config", "--insecure", image)
		if err != nil {
			return nil, err
		}
		var cfg struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
		}
		if err := json.Unmarshal([]byte(out), &cfg); err != nil {
			return nil, errors.Wrapf(err, "failed to read the config of %s", image)
		}
		if cfg.OS == osArch[0] && cfg.Architecture == osArch[1] {
			return index.Layers, nil
		}
		return nil, errors.Errorf("%s is an image for %s/%s only, not %s", image, cfg.OS, cfg.Architecture, platform)
	}
	for _, m := range index.Manifests {
		if m.Platform.OS == osArch[0] && m.Platform.Architecture == osArch[1] {
			out, err := command(ctx, nil, "crane", "manifest", "--insecure", repoOf(image)+"@"+m.Digest)
			if err != nil {
				return nil, err
			}
			var manifest struct {
				Layers []layer `json:"layers"`
			}
			if err := json.Unmarshal([]byte(out), &manifest); err != nil {
				return nil, errors.Wrapf(err, "failed to read the %s manifest of %s", platform, image)
			}
			return manifest.Layers, nil
		}
	}
	return nil, errors.Errorf("%s has no %s manifest", image, platform)
}

// layerSizes returns the compressed and the uncompressed size of layers.
func layerSizes(ctx context.Context, image string, layers []layer) (int64, int64, error) {
	var z, u int64
	for _, l := range layers {
		z += l.Size
		n, err := uncompressedSize(ctx, repoOf(image)+"@"+l.Digest, l.MediaType)
		if err != nil {
			return 0, 0, err
		}
		u += n
	}
	return z, u, nil
}

func uncompressedSize(ctx context.Context, blob, mediaType string) (int64, error) {
	if !strings.HasSuffix(mediaType, "gzip") {
		return 0, errors.Errorf("%s: cannot uncompress %s", blob, mediaType)
	}
	cmd := exec.CommandContext(ctx, "crane", "blob", "--insecure", blob)
	r, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		_ = cmd.Wait()
		return 0, errors.Wrapf(err, "failed to read %s", blob)
	}
	n, err := io.Copy(io.Discard, zr)
	if werr := cmd.Wait(); err == nil {
		err = werr
	}
	return n, errors.Wrapf(err, "failed to read %s", blob)
}

// repoOf returns image without its tag.
func repoOf(image string) string {
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		return image[:i]
	}
	return image
}

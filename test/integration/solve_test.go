package integration

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/tilt-dev/restart-frontend/pkg/frontend"
	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// build is one in-process build: a Dockerfile and files beside it, options,
// and what the frontend returned.
type build struct {
	t       *testing.T
	ctx     context.Context
	c       gwclient.Client
	res     *gwclient.Result
	files   map[string]string
	attrs   map[string]string
	exports []client.ExportEntry
	fn      gwclient.BuildFunc // frontend.Build unless set
	resp    *client.SolveResponse

	daemon       *client.Client // the rig's buildkitd unless set
	cacheExports []client.CacheOptionsEntry
	cacheImports []client.CacheOptionsEntry
	cached       map[string]bool // progress name of each step: was it cached
	warnings     []string        // the build's warnings, as progress shows them
}

// newBuild prepares a build of dockerfile with the frontend image as the
// supervisors' source.
func newBuild(t *testing.T, dockerfile string) *build {
	return &build{t: t, files: map[string]string{"Dockerfile": dockerfile}, attrs: map[string]string{"source": rigtest.FrontendImage}, fn: frontend.Build}
}

// pushTo exports the result as an image pushed to the rig's registry under
// name; run then records the exporter's response.
func (b *build) pushTo(name string) *build {
	b.exports = []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{
		"name": os.Getenv("RIG_REGISTRY") + "/" + name, "push": "true", "registry.insecure": "true",
	}}}
	return b
}

func (b *build) withFile(name, content string) *build { b.files[name] = content; return b }
func (b *build) withAttr(k, v string) *build          { b.attrs[k] = v; return b }
func (b *build) withBuildArg(k, v string) *build      { return b.withAttr("build-arg:"+k, v) }

// run runs the frontend and calls check with the result while the build's
// references are alive; it returns the frontend's error.
func (b *build) run(check func(b *build)) error {
	b.t.Helper()
	dir := b.t.TempDir()
	for name, content := range b.files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	fs, err := fsutil.NewFS(dir)
	if err != nil {
		b.t.Fatal(err)
	}
	daemon := b.daemon
	if daemon == nil {
		daemon = bk
	}
	status := make(chan *client.SolveStatus)
	done := make(chan struct{})
	b.cached, b.warnings = map[string]bool{}, nil
	go func() {
		defer close(done)
		for s := range status {
			for _, v := range s.Vertexes {
				b.cached[v.Name] = b.cached[v.Name] || v.Cached
			}
			for _, w := range s.Warnings {
				b.warnings = append(b.warnings, string(w.Short))
			}
		}
	}()
	defer func() { <-done }()
	b.resp, err = daemon.Build(context.Background(), client.SolveOpt{
		LocalMounts:   map[string]fsutil.FS{"context": fs, "dockerfile": fs},
		FrontendAttrs: maps.Clone(b.attrs),
		Exports:       b.exports,
		CacheExports:  b.cacheExports,
		CacheImports:  b.cacheImports,
	}, "restart-frontend-test", func(ctx context.Context, c gwclient.Client) (*gwclient.Result, error) {
		res, err := b.fn(ctx, c)
		if err != nil {
			return nil, err
		}
		b.ctx, b.c, b.res = ctx, c, res
		if check != nil {
			check(b)
		}
		return res, nil
	}, status)
	return err
}

// mustRun is run for builds that must succeed.
func (b *build) mustRun(check func(b *build)) {
	b.t.Helper()
	if err := b.run(check); err != nil {
		b.t.Fatalf("build failed: %v", err)
	}
}

// platforms returns the result's platform ids.
func (b *build) platforms() []string {
	b.t.Helper()
	ps, err := exptypes.ParsePlatforms(b.res.Metadata)
	if err != nil {
		b.t.Fatal(err)
	}
	var ids []string
	for _, p := range ps.Platforms {
		ids = append(ids, p.ID)
	}
	return ids
}

// image returns the image config of platform id ("" for a single-platform
// result).
func (b *build) image(id string) dockerspec.DockerOCIImage {
	b.t.Helper()
	key := exptypes.ExporterImageConfigKey
	if id != "" {
		key += "/" + id
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(b.res.Metadata[key], &img); err != nil {
		b.t.Fatalf("config %s: %v", key, err)
	}
	return img
}

func (b *build) ref(id string) gwclient.Reference {
	if id == "" {
		return b.res.Ref
	}
	return b.res.Refs[id]
}

// stat returns the file at path in platform id's filesystem, or nil.
func (b *build) stat(id, path string) *fstypes.Stat {
	st, err := b.ref(id).StatFile(b.ctx, gwclient.StatRequest{Path: path})
	if err != nil {
		return nil
	}
	return st
}

// elfMachine reads the machine field of the ELF header of the file at path.
func (b *build) elfMachine(id, path string) elf.Machine {
	b.t.Helper()
	dt, err := b.ref(id).ReadFile(b.ctx, gwclient.ReadRequest{Filename: path, Range: &gwclient.FileRange{Length: 20}})
	if err != nil {
		b.t.Fatalf("read %s: %v", path, err)
	}
	if len(dt) < 20 || !bytes.HasPrefix(dt, []byte(elf.ELFMAG)) {
		b.t.Fatalf("%s is not an ELF file: %q", path, dt)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if elf.Data(dt[elf.EI_DATA]) == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	return elf.Machine(order.Uint16(dt[18:20]))
}

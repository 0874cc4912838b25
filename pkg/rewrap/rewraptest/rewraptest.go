// Package rewraptest makes small images for tests of the wrap command: a
// frontend image with fake supervisors and application images with files.
package rewraptest

import (
	"archive/tar"
	"bytes"
	"io"
	"path"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

// Supervisor is the content of the fake supervisor of platform p ("linux/amd64").
func Supervisor(p string) string { return "supervisor for " + p }

// Tools is the content of the fake tools binary of platform p.
func Tools(p string) string { return "tools for " + p }

// Frontend returns a frontend image with a fake supervisor and tools binary
// for linux/amd64 and linux/arm64, the links and the trigger, as the
// frontend's Dockerfile lays them out.
func Frontend(t testing.TB) v1.Image {
	t.Helper()
	files := map[string]string{}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		files[contract.SourcePath(p, contract.SupervisorName)] = Supervisor(p)
		files[contract.SourcePath(p, contract.ToolsName)] = Tools(p)
	}
	files[contract.TriggerSource] = ""
	files[path.Join(contract.LinksDir, "tar")] = "-> " + contract.ToolsPath
	files[path.Join(contract.LinksDir, "rm")] = "-> " + contract.ToolsPath
	files["/frontend"] = "the gateway"
	return Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, []string{"/frontend"}, files)
}

// Image returns an image for platform p running cmd as its ENTRYPOINT, with
// a random layer and a layer of files (absolute path → content; content
// "-> TARGET" makes a symbolic link, a path ending in / a folder).
func Image(t testing.TB, p v1.Platform, entrypoint []string, files map[string]string) v1.Image {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) > 0 {
		l, err := Layer(files)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config.Entrypoint = entrypoint
	cf.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// Layer returns a layer of files, written in sorted order.
func Layer(files map[string]string) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		content := files[n]
		h := &tar.Header{Name: strings.TrimPrefix(n, "/"), Mode: 0o755}
		switch {
		case strings.HasSuffix(n, "/"):
			h.Typeflag = tar.TypeDir
		case strings.HasPrefix(content, "-> "):
			h.Typeflag, h.Linkname = tar.TypeSymlink, strings.TrimPrefix(content, "-> ")
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(content))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(content)); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}

// Index returns an index of the images, each described with its platform.
func Index(t testing.TB, imgs map[string]v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	names := make([]string, 0, len(imgs))
	for p := range imgs {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		parts := strings.SplitN(p, "/", 3)
		pl := &v1.Platform{OS: parts[0], Architecture: parts[1]}
		if len(parts) == 3 {
			pl.Variant = parts[2]
		}
		adds = append(adds, mutate.IndexAddendum{Add: imgs[p], Descriptor: v1.Descriptor{Platform: pl}})
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
}

// Entry is a layer entry as tests compare them.
type Entry struct {
	Path    string
	Mode    int64
	Type    byte
	UID     int
	GID     int
	Content string
	Link    string
	ModTime int64
}

// Entries lists the entries of layer l in order.
func Entries(t testing.TB, l v1.Layer) []Entry {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out []Entry
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Entry{Path: "/" + strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/"), Mode: h.Mode & 0o7777, Type: h.Typeflag, UID: h.Uid, GID: h.Gid,
			Content: string(b), Link: h.Linkname, ModTime: h.ModTime.Unix()})
	}
}

// LastLayers returns the last n layers of img.
func LastLayers(t testing.TB, img v1.Image, n int) []v1.Layer {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	return ls[len(ls)-n:]
}

package parity

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// image is one platform's image read back from an OCI layout.
type image struct {
	manifest ocispecs.Manifest
	config   map[string]any // as JSON decodes it: no field is lost
	files    map[string]file
}

// file is what a flattened filesystem holds at a path: everything a tar
// header says that a container sees, and a hash of the content.
type file struct {
	Type    byte
	Mode    int64 // permissions with the setuid, setgid and sticky bits
	UID     int
	GID     int
	Size    int64
	ModTime int64 // nanoseconds
	Link    string
	Dev     string
	Xattrs  string
	SHA256  string
}

// readImages reads the image at d in the OCI layout dir: one platform for a
// manifest ("" is its id), each platform of an index by its id.
func readImages(t *testing.T, dir, d string) map[string]image {
	t.Helper()
	var head struct {
		Manifests []ocispecs.Descriptor `json:"manifests"` // an index's
	}
	if err := json.Unmarshal(readBlob(t, dir, digest.Digest(d)), &head); err != nil {
		t.Fatalf("%s: %v", d, err)
	}
	out := map[string]image{}
	if len(head.Manifests) == 0 {
		out[""] = readImage(t, dir, digest.Digest(d))
		return out
	}
	for _, m := range head.Manifests {
		if m.Platform == nil {
			t.Fatalf("index %s lists %s without a platform", d, m.Digest)
		}
		out[platforms.Format(*m.Platform)] = readImage(t, dir, m.Digest)
	}
	return out
}

func readImage(t *testing.T, dir string, d digest.Digest) image {
	t.Helper()
	var img image
	if err := json.Unmarshal(readBlob(t, dir, d), &img.manifest); err != nil {
		t.Fatalf("manifest %s: %v", d, err)
	}
	if err := json.Unmarshal(readBlob(t, dir, img.manifest.Config.Digest), &img.config); err != nil {
		t.Fatalf("config %s: %v", img.manifest.Config.Digest, err)
	}
	img.files = flatten(t, dir, img.manifest.Layers)
	return img
}

func blobPath(dir string, d digest.Digest) string {
	return filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded())
}

func readBlob(t *testing.T, dir string, d digest.Digest) []byte {
	t.Helper()
	dt, err := os.ReadFile(blobPath(dir, d))
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// flatten applies the layers in order, whiteouts included, and returns the
// resulting filesystem by absolute path (the root itself left out).
func flatten(t *testing.T, dir string, layers []ocispecs.Descriptor) map[string]file {
	t.Helper()
	fs := map[string]file{}
	removeTree := func(p string, keepSelf bool) {
		for q := range fs {
			if (!keepSelf && q == p) || strings.HasPrefix(q, strings.TrimSuffix(p, "/")+"/") {
				delete(fs, q)
			}
		}
	}
	for _, l := range layers {
		entries := readLayer(t, dir, l)
		// Deletions first: they apply to the layers below only.
		for _, e := range entries {
			parent, base := path.Split(e.path)
			switch {
			case base == ".wh..wh..opq":
				removeTree(path.Clean(parent), true)
			case strings.HasPrefix(base, ".wh."):
				removeTree(path.Join(parent, strings.TrimPrefix(base, ".wh.")), false)
			}
		}
		for _, e := range entries {
			if !strings.HasPrefix(path.Base(e.path), ".wh.") {
				fs[e.path] = e.file
			}
		}
	}
	return fs
}

type layerEntry struct {
	path string
	file file
}

// layers memoizes readLayer: the base images' layers are shared by most of
// the corpus.
var layers sync.Map // digest.Digest → []layerEntry

func readLayer(t *testing.T, dir string, desc ocispecs.Descriptor) []layerEntry {
	t.Helper()
	if v, ok := layers.Load(desc.Digest); ok {
		return v.([]layerEntry)
	}
	f, err := os.Open(blobPath(dir, desc.Digest))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	switch {
	case strings.HasSuffix(desc.MediaType, "gzip"):
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("layer %s: %v", desc.Digest, err)
		}
		r = zr
	case strings.HasSuffix(desc.MediaType, ".tar"):
	default:
		t.Fatalf("layer %s has media type %s: only tar and tar+gzip are read", desc.Digest, desc.MediaType)
	}
	var entries []layerEntry
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("layer %s: %v", desc.Digest, err)
		}
		p := path.Clean("/" + hdr.Name)
		if p == "/" {
			continue
		}
		h := sha256.New()
		if _, err := io.Copy(h, tr); err != nil {
			t.Fatalf("layer %s: %s: %v", desc.Digest, p, err)
		}
		var xattrs []string
		for k, v := range hdr.PAXRecords {
			if strings.HasPrefix(k, "SCHILY.xattr.") {
				xattrs = append(xattrs, k+"="+v)
			}
		}
		sort.Strings(xattrs)
		entries = append(entries, layerEntry{path: p, file: file{
			Type:    hdr.Typeflag,
			Mode:    hdr.Mode,
			UID:     hdr.Uid,
			GID:     hdr.Gid,
			Size:    hdr.Size,
			ModTime: hdr.ModTime.UnixNano(),
			Link:    hdr.Linkname,
			Dev:     fmt.Sprintf("%d:%d", hdr.Devmajor, hdr.Devminor),
			Xattrs:  strings.Join(xattrs, ","),
			SHA256:  hex.EncodeToString(h.Sum(nil)),
		}})
	}
	layers.Store(desc.Digest, entries)
	return entries
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package transport

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	pkgerrors "github.com/pkg/errors"
)

// readLayout opens the image or index tagged tag in the layout at dir, or
// its only one when tag is "".
func readLayout(dir, tag string) (Artifact, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Artifact{}, pkgerrors.Errorf("%s is not an OCI image layout (no index.json): give the folder that holds index.json and oci-layout", dir)
		}
		return Artifact{}, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return Artifact{}, err
	}
	var tags []string
	var chosen []v1.Descriptor
	for _, d := range m.Manifests {
		t := d.Annotations[ocispecs.AnnotationRefName]
		if t != "" {
			tags = append(tags, t)
		}
		if tag == "" || t == tag {
			chosen = append(chosen, d)
		}
	}
	slices.Sort(tags)
	switch {
	case len(chosen) == 0 && tag != "":
		return Artifact{}, pkgerrors.Errorf("the layout %s has no image tagged %q; its tags are %q", dir, tag, tags)
	case len(chosen) == 0:
		return Artifact{}, pkgerrors.Errorf("the layout %s holds no image", dir)
	case len(chosen) > 1:
		return Artifact{}, pkgerrors.Errorf("the layout %s holds %d images and none was chosen: write oci:%s:TAG with one of the tags %q", dir, len(chosen), dir, tags)
	}
	d := chosen[0]
	if d.MediaType.IsIndex() {
		ii, err := idx.ImageIndex(d.Digest)
		return Artifact{Index: ii}, err
	}
	img, err := idx.Image(d.Digest)
	return Artifact{Image: img}, err
}

// writeLayout adds a to the layout at dir, tagged tag, replacing the entry
// that had that tag. A new layout is written beside dir and renamed into
// place. In an existing layout, the blobs are added first (they are
// content-addressed: no entry changes) and index.json is rewritten last.
func writeLayout(dir, tag string, a Artifact) error {
	var opts []layout.Option
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{ocispecs.AnnotationRefName: tag}))
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		p, err := layout.FromPath(dir)
		if err != nil {
			return err
		}
		matcher := match.Annotation(ocispecs.AnnotationRefName, tag)
		if tag == "" {
			// Untagged: the layout then holds this one image only.
			matcher = func(v1.Descriptor) bool { return true }
		}
		if a.Index != nil {
			return p.ReplaceIndex(a.Index, matcher, opts...)
		}
		return p.ReplaceImage(a.Image, matcher, opts...)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return pkgerrors.Errorf("%s is a folder that is not an OCI image layout; give an empty or new folder", dir)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	if a.Index != nil {
		err = p.AppendIndex(a.Index, opts...)
	} else {
		err = p.AppendImage(a.Image, opts...)
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	_ = os.Remove(dir) // an empty folder; rename fails below if it is not
	return os.Rename(tmp, dir)
}

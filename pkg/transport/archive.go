package transport

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	pkgerrors "github.com/pkg/errors"
)

// readArchive opens the image tagged ref in a `docker save` archive, or its
// only image when ref is nil.
func readArchive(file string, ref name.Reference) (Artifact, error) {
	if _, err := os.Stat(file); err != nil {
		return Artifact{}, pkgerrors.Wrap(err, "no archive there: give the file `docker save -o FILE IMAGE` wrote")
	}
	var tag *name.Tag
	if t, ok := ref.(name.Tag); ok {
		tag = &t
	}
	img, err := tarball.ImageFromPath(file, tag)
	if err != nil {
		if strings.Contains(err.Error(), "only a single image") {
			return Artifact{}, pkgerrors.Errorf("the archive %s holds several images and none was chosen: write docker-archive:%s:NAME:TAG", file, file)
		}
		return Artifact{}, pkgerrors.Wrap(err, "not a `docker save` archive")
	}
	return Artifact{Image: img}, nil
}

// writeArchive writes img as a `docker save` archive beside file, then
// renames it into place. Without a tag, `docker load` loads it untagged.
func writeArchive(file string, ref name.Reference, img v1.Image) error {
	f, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Close(); err != nil {
		return err
	}
	refs := map[name.Reference]v1.Image{}
	if ref != nil {
		refs[ref] = img
	} else {
		d, err := img.Digest()
		if err != nil {
			return err
		}
		// A digest names the image without tagging it.
		dref, err := name.NewDigest("image@" + d.String())
		if err != nil {
			return err
		}
		refs[dref] = img
	}
	if err := tarball.MultiRefWriteToFile(tmp, refs); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

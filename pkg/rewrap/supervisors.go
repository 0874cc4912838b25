package rewrap

import (
	"archive/tar"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/wrap"
)

// Supervisors are the files of the frontend image under [contract.SourceDir]:
// one supervisor and tools binary per platform and the tar and rm links.
type Supervisors struct {
	// ref names the frontend image, for errors.
	ref   string
	files map[string][]byte // absolute path → content
	links map[string]string // absolute path → link target
}

// LoadSupervisors reads the supervisors from the frontend image img, named
// ref. Every platform of the frontend image holds the same supervisors, so
// any one will do. The frontend image is built FROM scratch with one layer
// for the supervisors, before the gateway binary's: the layers are read in
// order up to the one that holds them.
func LoadSupervisors(img v1.Image, ref string) (*Supervisors, error) {
	s := &Supervisors{ref: ref, files: map[string][]byte{}, links: map[string]string{}}
	layers, err := img.Layers()
	if err != nil {
		return nil, errors.Wrapf(err, "failed to read the frontend image %s", ref)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return nil, errors.Wrapf(err, "failed to read the frontend image %s", ref)
		}
		err = walk(rc, func(h *tar.Header, r io.Reader) error {
			p := absPath(h.Name)
			if !strings.HasPrefix(p, contract.SourceDir+"/") {
				return nil
			}
			switch h.Typeflag {
			case tar.TypeReg:
				b, err := io.ReadAll(r)
				if err != nil {
					return err
				}
				s.files[p] = b
			case tar.TypeSymlink:
				s.links[p] = h.Linkname
			}
			return nil
		})
		rc.Close()
		if err != nil {
			return nil, errors.Wrapf(err, "failed to read the frontend image %s", ref)
		}
		if len(s.files) > 0 {
			return s, nil
		}
	}
	return nil, errors.Errorf("%s is not a restart-frontend image: it has nothing under %s; name the frontend image with --frontend", ref, contract.SourceDir)
}

// binary returns the file name of platform p's folder (supervisor or
// tools), or an error naming p when the frontend has none for it.
func (s *Supervisors) binary(p v1.Platform, file string) ([]byte, error) {
	sup, err := wrap.SourcePath(ociPlatform(p))
	if err != nil {
		return nil, err
	}
	f := path.Join(path.Dir(sup), file)
	b, ok := s.files[f]
	if !ok {
		return nil, errors.Errorf("the frontend image %s has no %s; name a complete frontend image with --frontend", s.ref, f)
	}
	return b, nil
}

// link returns the target of the frontend image's link for tool.
func (s *Supervisors) link(tool string) (string, error) {
	p := path.Join(contract.LinksDir, tool)
	t, ok := s.links[p]
	if !ok {
		return "", errors.Errorf("the frontend image %s has no link %s; name a complete frontend image with --frontend", s.ref, p)
	}
	return t, nil
}

// walk calls fn for each entry of the tar stream r, with its content.
func walk(r io.Reader, fn func(*tar.Header, io.Reader) error) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(h, tr); err != nil {
			return err
		}
	}
}

// absPath turns a layer's entry name (with or without ./ or /) into an
// absolute path.
func absPath(n string) string {
	return path.Clean("/" + strings.TrimPrefix(n, "./"))
}

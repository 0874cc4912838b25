package rewrap

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/pkg/errors"
)

// entry is one file, folder or link of a layer.
type entry struct {
	path string // absolute
	mode os.FileMode
	data []byte
	link string // a symbolic link's target
}

// layer is the content of one layer and what it adds, for its history.
type layer struct {
	entries []entry
	names   []string
}

// what says what the layer adds, as pkg/llb names its steps.
func (l layer) what() string { return "add " + strings.Join(l.names, ", ") }

// tarball writes the entries in their order, owned by root and dated
// mtime, so the same entries give the same blob byte for byte. It is
// compressed at gzip's default level, as BuildKit compresses: ggcr's own
// default (best speed) makes the supervisor layer about 10% larger.
func (l layer) tarball(mtime time.Time, mt types.MediaType) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range l.entries {
		h := &tar.Header{Name: strings.TrimPrefix(e.path, "/"), Mode: int64(e.mode.Perm()), ModTime: mtime}
		switch {
		case e.mode.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case e.link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.link, 0o777
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, errors.Wrapf(err, "failed to write %s", e.path)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, errors.Wrapf(err, "failed to write %s", e.path)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(mt), tarball.WithCompressionLevel(gzip.DefaultCompression))
}

package rewrap

import (
	"bytes"
	"encoding/json"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
)

// withConfig returns img with the image config cfg, written exactly as the
// frontend writes it (json.Marshal of a [dockerspec.DockerOCIImage]), with
// the diff IDs of img's layers. ggcr's mutate.ConfigFile would pass it
// through its own ConfigFile type, which drops fields the frontend keeps
// (such as a HEALTHCHECK's start interval).
func withConfig(img v1.Image, cfg dockerspec.DockerOCIImage) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg.RootFS.DiffIDs = make([]digest.Digest, len(cf.RootFS.DiffIDs))
	for i, d := range cf.RootFS.DiffIDs {
		cfg.RootFS.DiffIDs[i] = digest.Digest(d.String())
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&configImage{base: img, raw: raw})
}

// configImage is base with another raw config.
type configImage struct {
	base v1.Image
	raw  []byte
}

func (c *configImage) RawConfigFile() ([]byte, error) { return c.raw, nil }

func (c *configImage) MediaType() (types.MediaType, error) { return c.base.MediaType() }

func (c *configImage) RawManifest() ([]byte, error) {
	m, err := c.base.Manifest()
	if err != nil {
		return nil, err
	}
	m = m.DeepCopy()
	h, size, err := v1.SHA256(bytes.NewReader(c.raw))
	if err != nil {
		return nil, err
	}
	m.Config.Digest, m.Config.Size = h, size
	return json.Marshal(m)
}

func (c *configImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	return c.base.LayerByDigest(h)
}

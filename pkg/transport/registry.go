package transport

import (
	"context"
	"errors"
	"net"
	"net/url"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	pkgerrors "github.com/pkg/errors"
)

// registryOptions are ggcr's defaults (three tries, 1s and 3s apart, for
// timeouts and dropped connections; none for a refused one) with the
// credentials docker login and podman login store.
func registryOptions(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
}

func readRegistry(ctx context.Context, ref name.Reference) (Artifact, error) {
	desc, err := remote.Get(ref, registryOptions(ctx)...)
	if err != nil {
		return Artifact{}, registryError(ref, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		return Artifact{Index: idx}, err
	}
	if !desc.MediaType.IsImage() {
		return Artifact{}, pkgerrors.Errorf("%s is a %s, not an image or an index of images", ref, desc.MediaType)
	}
	img, err := desc.Image()
	return Artifact{Image: img}, err
}

func writeRegistry(ctx context.Context, ref name.Reference, a Artifact) error {
	var err error
	if a.Index != nil {
		err = remote.WriteIndex(ref, a.Index, registryOptions(ctx)...)
	} else {
		err = remote.Write(ref, a.Image, registryOptions(ctx)...)
	}
	if err != nil {
		return registryError(ref, err)
	}
	return nil
}

// registryError says which registry could not be reached or what it does
// not hold.
func registryError(ref name.Reference, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		for _, e := range terr.Errors {
			if e.Code == transport.ManifestUnknownErrorCode || e.Code == transport.NameUnknownErrorCode {
				return pkgerrors.Errorf("the registry %s has no image %s: check the name and the tag, or push the image first (%v)", ref.Context().RegistryStr(), ref, err)
			}
		}
		if terr.StatusCode == 404 {
			return pkgerrors.Errorf("the registry %s has no image %s: check the name and the tag, or push the image first (%v)", ref.Context().RegistryStr(), ref, err)
		}
		if terr.StatusCode == 401 || terr.StatusCode == 403 {
			return pkgerrors.Errorf("the registry %s refused access to %s: log in with `docker login %s` (%v)", ref.Context().RegistryStr(), ref, ref.Context().RegistryStr(), err)
		}
		return err
	}
	var uerr *url.Error
	var nerr net.Error
	if errors.As(err, &uerr) || errors.As(err, &nerr) {
		return pkgerrors.Errorf("cannot reach the registry at %s: %v; check the address and that the registry is running", ref.Context().Scheme()+"://"+ref.Context().RegistryStr(), err)
	}
	return err
}

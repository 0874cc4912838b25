// Package transport reads and writes images at the places skopeo and Podman
// name with containers/image transport names:
//
//	docker://REF or REF        a registry
//	oci:DIR[:TAG]              an OCI image layout folder (rules_oci, Jib)
//	docker-archive:FILE[:REF]  a `docker save` / `podman save` archive
//	docker-daemon:REF          a Docker or Podman daemon, through DOCKER_HOST
//
// Every transport is go-containerregistry's: this package only parses the
// names, picks the image a name means and turns the library's errors into
// ones that say how to fix the name.
//
// Writing changes nothing at the destination until the image is complete:
// layouts and archives are written beside it and renamed into place, and a
// registry or daemon receives the image in one push or load.
package transport

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"
)

// Kind is a transport name, as it prefixes a location.
type Kind string

const (
	Registry      Kind = "docker"
	Layout        Kind = "oci"
	DockerArchive Kind = "docker-archive"
	Daemon        Kind = "docker-daemon"
)

// Location is a parsed transport name: where an image is read or written.
type Location struct {
	Kind Kind
	// Path is the layout's folder or the archive's file.
	Path string
	// Tag is the layout's org.opencontainers.image.ref.name; "" for none.
	Tag string
	// Ref is the registry or daemon reference, or the archive's tag; nil
	// for an archive or layout without one.
	Ref name.Reference
	raw string
}

func (l Location) String() string { return l.raw }

// Artifact is an image or an index of images: exactly one is set.
type Artifact struct {
	Image v1.Image
	Index v1.ImageIndex
}

// Parse reads a transport name. A name without a known transport prefix is a
// registry reference, as `docker pull` reads it.
func Parse(s string) (Location, error) {
	l := Location{raw: s}
	if s == "" {
		return l, errors.New("empty image name: give a registry reference (docker://REF or REF), oci:DIR[:TAG], docker-archive:FILE[:REF] or docker-daemon:REF")
	}
	kind, rest, ok := strings.Cut(s, ":")
	switch Kind(kind) {
	case Registry:
		if !strings.HasPrefix(rest, "//") {
			return l, errors.Errorf("invalid image name %q: write a registry reference as docker://REF or REF", s)
		}
		return parseRef(l, Registry, strings.TrimPrefix(rest, "//"))
	case Daemon:
		return parseRef(l, Daemon, rest)
	case Layout:
		l.Kind, l.Path = Layout, rest
		// The tag follows the last colon, unless that colon is part of the
		// folder's path.
		if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "/") {
			l.Path, l.Tag = rest[:i], rest[i+1:]
		}
		if l.Path == "" {
			return l, errors.Errorf("invalid image name %q: give the layout's folder, as oci:DIR or oci:DIR:TAG", s)
		}
		return l, nil
	case DockerArchive:
		l.Kind = DockerArchive
		file, ref, hasRef := strings.Cut(rest, ":")
		l.Path = file
		if file == "" {
			return l, errors.Errorf("invalid image name %q: give the archive's file, as docker-archive:FILE or docker-archive:FILE:REF", s)
		}
		if hasRef {
			r, err := name.NewTag(ref)
			if err != nil {
				return l, errors.Errorf("invalid image name %q: %q is not a tag (%v); write docker-archive:FILE:NAME:TAG", s, ref, err)
			}
			l.Ref = r
		}
		return l, nil
	}
	if ok && slices.Contains(otherTransports, kind) {
		return l, errors.Errorf("unsupported transport %q in %q: use docker://, oci:, docker-archive: or docker-daemon: (copy the image to one of them with skopeo copy)", kind, s)
	}
	return parseRef(l, Registry, s)
}

// otherTransports are containers/image's transports this package does not
// read or write; any other prefix is part of a registry reference (app:v1,
// localhost:5000/app).
var otherTransports = []string{"containers-storage", "dir", "oci-archive", "ostree", "sif", "tarball"}

func parseRef(l Location, kind Kind, ref string) (Location, error) {
	l.Kind = kind
	r, err := name.ParseReference(ref)
	if err != nil {
		return l, errors.Errorf("invalid image reference %q in %q: %v; write it as [REGISTRY/]NAME[:TAG] or NAME@sha256:DIGEST", ref, l.raw, err)
	}
	if _, ok := r.(name.Tag); !ok && kind == Daemon {
		return l, errors.Errorf("invalid image name %q: a daemon stores images by tag; write docker-daemon:NAME:TAG", l.raw)
	}
	l.Ref = r
	return l, nil
}

// OnlyOneImage says whether the location holds a single platform's image,
// so an index must be narrowed to one platform before it is written there.
func (l Location) OnlyOneImage() bool {
	return l.Kind == DockerArchive || l.Kind == Daemon
}

// Read opens the image or index at l. Layers are read lazily: only what the
// caller reads is fetched.
func (l Location) Read(ctx context.Context) (Artifact, error) {
	var a Artifact
	var err error
	switch l.Kind {
	case Registry:
		a, err = readRegistry(ctx, l.Ref)
	case Layout:
		a, err = readLayout(l.Path, l.Tag)
	case DockerArchive:
		a, err = readArchive(l.Path, l.Ref)
	case Daemon:
		a, err = readDaemon(ctx, l.Ref.(name.Tag))
	default:
		err = fmt.Errorf("unknown transport %q", l.Kind)
	}
	return a, errors.Wrapf(err, "cannot read %s", l)
}

// Write stores a at l, replacing what l named before only once a is
// complete.
func (l Location) Write(ctx context.Context, a Artifact) error {
	if a.Index != nil && l.OnlyOneImage() {
		return errors.Errorf("cannot write an index of images to %s: it holds one image; choose a platform", l)
	}
	var err error
	switch l.Kind {
	case Registry:
		err = writeRegistry(ctx, l.Ref, a)
	case Layout:
		err = writeLayout(l.Path, l.Tag, a)
	case DockerArchive:
		err = writeArchive(l.Path, l.Ref, a.Image)
	case Daemon:
		err = writeDaemon(ctx, l.Ref.(name.Tag), a.Image)
	default:
		err = fmt.Errorf("unknown transport %q", l.Kind)
	}
	return errors.Wrapf(err, "cannot write %s", l)
}

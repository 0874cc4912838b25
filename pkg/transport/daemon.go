package transport

import (
	"context"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	pkgerrors "github.com/pkg/errors"
)

// daemonHost names the daemon for errors: DOCKER_HOST, or the default
// socket.
func daemonHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return "DOCKER_HOST=" + h
	}
	return "the default socket (set DOCKER_HOST for another, e.g. Podman's)"
}

// readDaemon reads the image tagged tag from the daemon. The daemon hands
// it over as a `docker save` archive, kept in a temporary file rather than
// in memory.
func readDaemon(ctx context.Context, tag name.Tag) (Artifact, error) {
	img, err := daemon.Image(tag, daemon.WithContext(ctx), daemon.WithFileBufferedOpener())
	if err != nil {
		return Artifact{}, pkgerrors.Wrapf(err, "the daemon at %s", daemonHost())
	}
	// daemon.Image asks the daemon lazily; ask now, so a missing image or
	// daemon is an error here.
	if _, err := img.ConfigFile(); err != nil {
		return Artifact{}, pkgerrors.Wrapf(err, "the daemon at %s", daemonHost())
	}
	return Artifact{Image: img}, nil
}

func writeDaemon(ctx context.Context, tag name.Tag, img v1.Image) error {
	if _, err := daemon.Write(tag, img, daemon.WithContext(ctx)); err != nil {
		return pkgerrors.Wrapf(err, "the daemon at %s", daemonHost())
	}
	return nil
}

package frontend

import (
	"context"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

// defaultPath is the PATH container runtimes give an image that sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// missingTools returns where to link each live-update tool the image does not
// have on its PATH: in /usr/local/bin when that is on the PATH, else in the
// PATH's first folder, so nothing the image has is shadowed. ref is nil for
// an empty (scratch) filesystem.
func missingTools(ctx context.Context, ref statter, img dockerspec.DockerOCIImage) ([]string, error) {
	dirs := imagePath(img)
	if len(dirs) == 0 {
		return nil, errors.New("RESTART_TOOLS=on needs an absolute folder on the image's PATH to put tar and rm in")
	}
	dest := dirs[0]
	for _, d := range dirs {
		if d == "/usr/local/bin" {
			dest = d
		}
	}
	var links []string
	for _, tool := range contract.ToolNames {
		if !hasTool(ctx, ref, dirs, tool) {
			links = append(links, path.Join(dest, tool))
		}
	}
	return links, nil
}

// imagePath returns the absolute folders of the image's PATH.
func imagePath(img dockerspec.DockerOCIImage) []string {
	value := defaultPath
	for _, kv := range img.Config.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			value = v
		}
	}
	var dirs []string
	for _, d := range strings.Split(value, ":") {
		if path.IsAbs(d) {
			dirs = append(dirs, path.Clean(d))
		}
	}
	return dirs
}

func hasTool(ctx context.Context, ref statter, dirs []string, tool string) bool {
	if ref == nil {
		return false
	}
	for _, d := range dirs {
		if _, err := ref.StatFile(ctx, client.StatRequest{Path: path.Join(d, tool)}); err == nil {
			return true
		}
	}
	return false
}

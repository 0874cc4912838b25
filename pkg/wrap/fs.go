package wrap

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

// What the appended layer needs to know of the image and of the frontend
// image, whoever builds the layer: the frontend in BuildKit (pkg/frontend,
// pkg/llb) or `restart-frontend wrap` on the host (pkg/rewrap).

// SourcePath returns the path of the supervisor for platform p inside the
// frontend image, or an error naming p when the frontend has none for it.
//
// Example:
//
//	SourcePath(platforms.MustParse("linux/arm64")) // "/supervisors/linux/arm64/supervisor"
func SourcePath(p ocispecs.Platform) (string, error) {
	id := platforms.Format(platforms.Normalize(p))
	if !slices.Contains(contract.Platforms, id) {
		return "", errors.Errorf("no supervisor for platform %s: supported platforms are %v; build this platform with --build-arg RESTART_PROCESS=off", id, contract.Platforms)
	}
	return contract.SourcePath(id, contract.SupervisorName), nil
}

// Statter reads a file's metadata in an image's filesystem: a BuildKit
// reference in the frontend, the layers' entries in pkg/rewrap; tests give a
// table of files. It fails for a path the image does not have.
type Statter interface {
	Stat(p string) (mode os.FileMode, size int64, err error)
}

// CheckTrigger fails when the image has a folder at the trigger path, a
// file where the path needs a folder, or anything but an empty file at the
// trigger path: adding the trigger there would put it inside that folder,
// fail with a less helpful error, or replace the image's own file (its
// content, owner and mode: /etc/passwd would become an empty file every user
// can write). An empty file is the trigger of a base image built with this
// frontend. image's Stat follows symbolic links where it can, as the copy
// does.
func CheckTrigger(image Statter, trigger string) error {
	for p := trigger; p != "/"; p = path.Dir(p) {
		mode, size, err := image.Stat(p)
		if err != nil {
			continue // not in the image: it will be created
		}
		if mode&os.ModeSymlink != 0 {
			return nil // followed when the layer is applied; where it leads is not known here
		}
		isDir := mode.IsDir()
		switch {
		case p == trigger && isDir:
			return errors.Errorf("invalid build arg %s=%q: the image has a folder there; give the path of a file, e.g. %s", argTrigger, trigger, path.Join(trigger, ".restart-proc"))
		case p == trigger && (!mode.IsRegular() || size > 0):
			return errors.Errorf("invalid build arg %s=%q: the image has %s there, which the empty trigger file would replace; give a path the image does not have, e.g. %s",
				argTrigger, trigger, describeFile(mode, size), contract.DefaultTrigger)
		case p != trigger && !isDir:
			return errors.Errorf("invalid build arg %s=%q: %s is a file in the image, not a folder", argTrigger, trigger, p)
		}
	}
	return nil
}

// describeFile names what a path that is not a folder holds.
func describeFile(mode os.FileMode, size int64) string {
	switch {
	case mode.IsRegular():
		return fmt.Sprintf("a file of %d bytes", size)
	case mode&os.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&os.ModeSocket != 0:
		return "a socket"
	case mode&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file (" + mode.String() + ")"
}

// defaultPath is the PATH container runtimes give an image that sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// MissingTools returns where to link each live-update tool that an image
// with the environment env does not have on its PATH: in /usr/local/bin when
// that is on the PATH, else in the PATH's first folder, so nothing the image
// has is shadowed. image is nil for an empty (scratch) filesystem.
func MissingTools(image Statter, env []string) ([]string, error) {
	dirs := imagePath(env)
	if len(dirs) == 0 {
		return nil, errors.Errorf("%s=on needs an absolute folder on the image's PATH to put tar and rm in", argTools)
	}
	dest := dirs[0]
	for _, d := range dirs {
		if d == "/usr/local/bin" {
			dest = d
		}
	}
	var links []string
	for _, tool := range contract.ToolNames {
		if !hasTool(image, dirs, tool) {
			links = append(links, path.Join(dest, tool))
		}
	}
	return links, nil
}

// imagePath returns the absolute folders of the PATH in env.
func imagePath(env []string) []string {
	value := defaultPath
	for _, kv := range env {
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

func hasTool(image Statter, dirs []string, tool string) bool {
	if image == nil {
		return false
	}
	for _, d := range dirs {
		if _, _, err := image.Stat(path.Join(d, tool)); err == nil {
			return true
		}
	}
	return false
}

// Package llb builds the LLB that this frontend appends to the user's build:
// one layer with the supervisor binary for the image's platform and the
// trigger file.
//
// The supervisor binaries come from the frontend's own image, where the
// frontend's Dockerfile puts one per supported platform under
// [SourceDir]. Copying them from there keeps the definition small: embedding
// the binary in the LLB (llb.Mkfile) would put megabytes into every
// definition that refers to the result, against gRPC's 16 MiB message cap.
//
// Where the daemon supports MergeOp the layer is built on scratch and merged
// onto the user's image, so its blob is the same for every image of a
// platform: cached once, stored once in a registry. Older daemons (such as
// Docker 20.10's BuildKit) get the same files copied on top instead.
package llb

import (
	"os"
	"path"
	"slices"
	"time"

	"github.com/containerd/platforms"
	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/wrap"
)

// SourceDir is the folder of the frontend image that holds one supervisor per
// platform, as SourceDir/<os>/<arch>[/<variant>]/supervisor.
const SourceDir = "/supervisors"

// triggerSource is an empty file with mode 0666 in the frontend image. The
// trigger is copied from it rather than made with Mkfile because older
// BuildKit daemons (Docker 20.10's) apply their umask to Mkfile's mode,
// leaving a trigger only root can write.
const triggerSource = SourceDir + "/trigger"

// Platforms lists, in the form `platforms.Format` prints, every platform the
// frontend image carries a supervisor for. The frontend's Dockerfile builds
// exactly these (a test keeps the two in step).
var Platforms = []string{
	"linux/amd64",
	"linux/arm64",
	"linux/arm/v7",
	"linux/arm/v6",
	"linux/386",
	"linux/ppc64le",
	"linux/s390x",
	"linux/riscv64",
}

// Modes of what the layer adds. The trigger is writable by every user so
// that any runtime user (the image's USER, root, or another Kubernetes
// runAsUser) can touch it; it is owned by root, which also keeps Linux's
// fs.protected_regular from refusing writes to it in a sticky folder such as
// /tmp. The supervisor and its folder are root's and read-only to others, so
// no user can replace the binary that runs as PID 1.
const (
	dirMode        os.FileMode = 0o755
	supervisorMode os.FileMode = 0o755
	triggerMode    os.FileMode = 0o666
)

// Layer says what to append to an image.
type Layer struct {
	// Source is a state whose filesystem holds the supervisors under
	// SourceDir: the frontend's own image.
	Source bkllb.State
	// Platform selects the supervisor binary.
	Platform ocispecs.Platform
	// Trigger is the absolute path of the trigger file to create.
	Trigger string
	// Epoch is the modification time of every file the layer adds, so the
	// layer is identical across rebuilds.
	Epoch time.Time
	// Merge appends the layer with MergeOp; set it only when the daemon
	// supports pb.CapMergeOp.
	Merge bool
}

// SourcePath returns the path of the supervisor for platform p inside the
// frontend image, or an error naming p when the frontend has none for it.
//
// Example:
//
//	SourcePath(platforms.MustParse("linux/arm64")) // "/supervisors/linux/arm64/supervisor"
func SourcePath(p ocispecs.Platform) (string, error) {
	id := platforms.Format(platforms.Normalize(p))
	if !slices.Contains(Platforms, id) {
		return "", errors.Errorf("no supervisor for platform %s: supported platforms are %v; build this platform with --build-arg RESTART_PROCESS=off", id, Platforms)
	}
	return path.Join(SourceDir, id, "supervisor"), nil
}

// Append returns base with the supervisor at [wrap.SupervisorPath] and an
// empty trigger file at l.Trigger. The steps show in the build's progress
// under "[restart] ..." names.
//
// Example:
//
//	st, err := Append(userImage, Layer{Source: frontendImage, Platform: p, Trigger: "/.restart-proc"})
func Append(base bkllb.State, l Layer) (bkllb.State, error) {
	src, err := SourcePath(l.Platform)
	if err != nil {
		return bkllb.State{}, err
	}
	created := bkllb.WithCreatedTime(l.Epoch)
	addSupervisor := func(fa *bkllb.FileAction) *bkllb.FileAction {
		return fa.Copy(l.Source, src, wrap.SupervisorPath, &bkllb.CopyInfo{
			Mode:        &bkllb.ChmodOpt{Mode: supervisorMode},
			CreatedTime: &l.Epoch,
		})
	}
	triggerDir := path.Dir(l.Trigger)
	addTrigger := func(fa *bkllb.FileAction) *bkllb.FileAction {
		if triggerDir != "/" {
			// Keeps the mode and owner of a folder the image already has
			// (a sticky /tmp stays sticky).
			fa = fa.Mkdir(triggerDir, dirMode, bkllb.WithParents(true), created)
		}
		return fa.Copy(l.Source, triggerSource, l.Trigger, &bkllb.CopyInfo{
			Mode:        &bkllb.ChmodOpt{Mode: triggerMode},
			CreatedTime: &l.Epoch,
		})
	}
	name := func(s string) bkllb.ConstraintsOpt {
		return bkllb.WithCustomName("[restart] " + s)
	}

	if !l.Merge {
		fa := addSupervisor(bkllb.Mkdir(wrap.SupervisorDir, dirMode, bkllb.WithParents(true), created))
		return base.File(addTrigger(fa), name("add supervisor and trigger "+l.Trigger)), nil
	}

	// A trigger at the root goes into the shared layer. Anywhere else it goes
	// on top of the user's filesystem: a folder in the shared layer would
	// replace the mode and owner of the image's own folder of the same name
	// (a sticky /tmp would lose its sticky bit).
	fa, what := addSupervisor(bkllb.Mkdir(wrap.SupervisorDir, dirMode, created)), "add supervisor"
	if triggerDir == "/" {
		fa, what = addTrigger(fa), "add supervisor and trigger "+l.Trigger
	}
	layer := bkllb.Scratch().File(fa, name(what))
	st := bkllb.Merge([]bkllb.State{base, layer}, name("append supervisor layer"))
	if triggerDir == "/" {
		return st, nil
	}
	return st.File(addTrigger(nil), name("add trigger "+l.Trigger)), nil
}

// Package llb builds the LLB that this frontend appends to the user's build:
// one layer with the supervisor binary for the image's platform and the
// trigger file.
//
// The supervisor binaries come from the frontend's own image, where the
// frontend's Dockerfile puts one per supported platform under
// [contract.SourceDir]. Copying them from there keeps the definition small:
// embedding the binary in the LLB (llb.Mkfile) would put megabytes into
// every definition that refers to the result, against gRPC's 16 MiB message
// cap.
//
// Where the daemon supports MergeOp the layer is built on scratch and merged
// onto the user's image, so its blob is the same for every image of a
// platform: cached once, stored once in a registry. Older daemons (such as
// Docker 20.10's BuildKit) get the same files copied on top instead.
package llb

import (
	"os"
	"path"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/wrap"
)

// Layer says what to append to an image.
type Layer struct {
	// Source is a state whose filesystem holds the supervisors under
	// [contract.SourceDir]: the frontend's own image.
	Source bkllb.State
	// Platform selects the supervisor binary.
	Platform ocispecs.Platform
	// Trigger is the absolute path of the trigger file to create.
	Trigger string
	// Tools are absolute paths named tar or rm where links to the tools
	// binary go (RESTART_TOOLS=on); empty adds no tools binary.
	Tools []string
	// Epoch is the modification time of every file the layer adds, so the
	// layer is identical across rebuilds.
	Epoch time.Time
	// Merge appends the layer with MergeOp; set it only when the daemon
	// supports pb.CapMergeOp.
	Merge bool
	// IncludePatterns copies the supervisor folder in one step, keeping
	// only the binaries it needs; set it only when the daemon supports
	// pb.CapFileCopyIncludeExcludePatterns.
	IncludePatterns bool
	// Location maps every step to a place in the Dockerfile (the line that
	// asked for the supervisor), for progress and errors; nil maps none.
	Location bkllb.ConstraintsOpt
}

// Append returns base with the supervisor at [contract.SupervisorPath], an
// empty trigger file at l.Trigger and, if asked, the tools binary at
// [contract.ToolsPath] with its links. The steps show in the build's progress
// under "[restart] ..." names. It also returns what each layer it adds holds,
// one entry per layer, for the image's history.
//
// Where l.Merge is set, what goes under [contract.SupervisorDir] (and a trigger
// at the root) is built on scratch and merged: the same blob for every image
// of a platform. Anything in another folder goes on top of the image
// instead, because a folder in the merged layer would replace the mode and
// owner of the image's own folder of that name (a sticky /tmp would lose its
// sticky bit).
//
// Example:
//
//	st, layers, err := Append(userImage, Layer{Source: frontendImage, Platform: p, Trigger: "/.restart-proc"})
func Append(base bkllb.State, l Layer) (bkllb.State, []string, error) {
	supervisor, err := wrap.SourcePath(l.Platform)
	if err != nil {
		return bkllb.State{}, nil, err
	}
	created := bkllb.WithCreatedTime(l.Epoch)
	// mapped adds the step's place in the Dockerfile to its name.
	mapped := func(name bkllb.ConstraintsOpt) []bkllb.ConstraintsOpt {
		if l.Location == nil {
			return []bkllb.ConstraintsOpt{name}
		}
		return []bkllb.ConstraintsOpt{name, l.Location}
	}
	copyFile := func(src, dest string, mode os.FileMode) step {
		return func(fa *bkllb.FileAction) *bkllb.FileAction {
			return fa.Copy(l.Source, src, dest, &bkllb.CopyInfo{Mode: &bkllb.ChmodOpt{Mode: mode}, CreatedTime: &l.Epoch})
		}
	}
	// inFolder makes dest's folder first, keeping the mode and owner of a
	// folder the image already has.
	inFolder := func(dest string, s step) step {
		return func(fa *bkllb.FileAction) *bkllb.FileAction {
			if dir := path.Dir(dest); dir != "/" {
				fa = fa.Mkdir(dir, contract.DirMode, bkllb.WithParents(true), created)
			}
			return s(fa)
		}
	}

	var ours, onTop steps
	binaries := []string{contract.SupervisorName}
	if len(l.Tools) > 0 {
		binaries = append(binaries, contract.ToolsName)
	}
	if l.IncludePatterns {
		// One copy of the platform's folder makes the supervisor folder and
		// then dates it with l.Epoch, after its files: a folder made by one
		// step and filled by the next would keep the time of the build,
		// and the layer would differ from one build to the next.
		ours.add(strings.Join(binaries, ", "), func(fa *bkllb.FileAction) *bkllb.FileAction {
			return fa.Copy(l.Source, path.Dir(supervisor), contract.SupervisorDir, &bkllb.CopyInfo{
				Mode: &bkllb.ChmodOpt{Mode: contract.SupervisorMode}, CreatedTime: &l.Epoch, IncludePatterns: binaries,
				CopyDirContentsOnly: true, CreateDestPath: true,
			})
		})
	} else {
		ours.add("supervisor", func(fa *bkllb.FileAction) *bkllb.FileAction {
			return fa.Mkdir(contract.SupervisorDir, contract.DirMode, bkllb.WithParents(true), created)
		}, copyFile(supervisor, contract.SupervisorPath, contract.SupervisorMode))
		if len(l.Tools) > 0 {
			ours.add("tools", copyFile(path.Join(path.Dir(supervisor), contract.ToolsName), contract.ToolsPath, contract.SupervisorMode))
		}
	}
	// The trigger is copied from the frontend image rather than made with
	// Mkfile because older BuildKit daemons (Docker 20.10's) apply their
	// umask to Mkfile's mode, leaving a trigger only root can write.
	trigger := copyFile(contract.TriggerSource, l.Trigger, contract.TriggerMode)
	if path.Dir(l.Trigger) == "/" {
		ours.add("trigger "+l.Trigger, trigger)
	} else {
		onTop.add("trigger "+l.Trigger, inFolder(l.Trigger, trigger))
	}
	for _, link := range l.Tools {
		onTop.add(link, inFolder(link, func(fa *bkllb.FileAction) *bkllb.FileAction {
			// The link itself, not the binary it points to.
			return fa.Copy(l.Source, path.Join(contract.LinksDir, path.Base(link)), link, &bkllb.CopyInfo{CreatedTime: &l.Epoch})
		}))
	}

	if !l.Merge {
		all := steps{names: append(ours.names, onTop.names...), fns: append(ours.fns, onTop.fns...)}
		return base.File(all.action(), mapped(name(all.what()))...), []string{all.what()}, nil
	}
	layer := bkllb.Scratch().File(ours.action(), mapped(name(ours.what()))...)
	st := bkllb.Merge([]bkllb.State{base, layer}, mapped(name("append supervisor layer"))...)
	if len(onTop.fns) == 0 {
		return st, []string{ours.what()}, nil
	}
	return st.File(onTop.action(), mapped(name(onTop.what()))...), []string{ours.what(), onTop.what()}, nil
}

// step adds file actions to a chain of them.
type step func(*bkllb.FileAction) *bkllb.FileAction

// steps are the file actions of one FileOp and what they add, for its name.
type steps struct {
	names []string
	fns   []step
}

func (s *steps) add(what string, fns ...step) {
	s.names = append(s.names, what)
	s.fns = append(s.fns, fns...)
}

// action chains the steps into one FileAction.
func (s steps) action() *bkllb.FileAction {
	var fa *bkllb.FileAction
	for _, f := range s.fns {
		fa = f(fa)
	}
	return fa
}

// what says what the FileOp adds, for its progress name and history entry.
func (s steps) what() string {
	return "add " + strings.Join(s.names, ", ")
}

// name is the progress name of a step: "[restart] ...".
func name(s string) bkllb.ConstraintsOpt {
	return bkllb.WithCustomName("[restart] " + s)
}

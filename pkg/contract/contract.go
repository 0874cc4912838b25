// Package contract is the one home of the image contract: the names that the
// frontend image (the Dockerfile), the LLB the frontend appends (pkg/llb),
// the same layer built on the host by `restart-frontend wrap` (pkg/rewrap),
// the rewritten image config (pkg/wrap), the option rules (pkg/options), the
// supervisor and the tools binary must agree on.
//
// Two images are involved:
//
//   - the frontend image holds one supervisor and one tools binary per
//     platform under [SourceDir], the empty trigger at [TriggerSource] and
//     the tar and rm links under [LinksDir];
//   - every image built through the frontend gets the supervisor at
//     [SupervisorPath], the trigger at [DefaultTrigger] unless
//     RESTART_TRIGGER says otherwise, the tools at [ToolsPath] with
//     RESTART_TOOLS=on, and labels under [LabelPrefix].
//
// The Dockerfile cannot import Go: a test in this package reads it and fails
// when its paths disagree with the names here.
//
// It holds constants only and imports nothing: the supervisor, which ships in
// every image, imports it.
package contract

// Names of the two binaries, as their commands (cmd/supervisor, cmd/tools)
// and files are named. The supervisor finds other supervisors by this
// argv[0] name (the restart subcommand reads the trigger of the one running
// as PID 1).
const (
	SupervisorName = "supervisor"
	ToolsName      = "tools"
)

// Paths in every image built through the frontend.
const (
	// SupervisorDir is the folder the appended layer adds to the image.
	SupervisorDir = "/.restart"
	// SupervisorPath is where the supervisor binary lives in the image.
	SupervisorPath = SupervisorDir + "/" + SupervisorName
	// ToolsPath is where RESTART_TOOLS=on puts the tar and rm multi-call
	// binary.
	ToolsPath = SupervisorDir + "/" + ToolsName
	// DefaultTrigger is the trigger file's path when RESTART_TRIGGER is not
	// given.
	DefaultTrigger = "/.restart-proc"
)

// Modes of what the added layer holds, whoever builds it (pkg/llb in
// BuildKit, pkg/rewrap on the host). The trigger is writable by every user
// so that any runtime user (the image's USER, root, or another Kubernetes
// runAsUser) can touch it; it is owned by root, which also keeps Linux's
// fs.protected_regular from refusing writes to it in a sticky folder such as
// /tmp. The supervisor and its folder are root's and read-only to others, so
// no user can replace the binary that runs as PID 1. Untyped, so this
// package imports nothing: they convert to os.FileMode where used.
const (
	DirMode        = 0o755
	SupervisorMode = 0o755
	TriggerMode    = 0o666
)

// ToolNames are the commands the tools binary answers to, as argv[0] or as
// its first argument, and the names of the links RESTART_TOOLS=on adds: the
// commands Tilt's live_update runs in a container, `tar -C / -x -f -` for a
// sync and `rm -rf` for deleted files.
var ToolNames = []string{"tar", "rm"}

// Labels of the rewritten image config, for tools that inspect the image.
const (
	// LabelPrefix namespaces every label this frontend sets.
	LabelPrefix = "dev.tilt.restart-frontend."
	// LabelVersion records the frontend version that wrapped the image.
	LabelVersion = LabelPrefix + "version"
	// LabelSupervisor records the supervisor's path, e.g. for
	// `docker exec CONTAINER <path> restart`.
	LabelSupervisor = LabelPrefix + "supervisor"
	// LabelTrigger records the trigger file's path.
	LabelTrigger = LabelPrefix + "trigger"
	// LabelEntrypoint records the original ENTRYPOINT as a JSON array.
	LabelEntrypoint = LabelPrefix + "entrypoint"
	// LabelCmd records the original CMD as a JSON array.
	LabelCmd = LabelPrefix + "cmd"
)

// HistoryComment marks the history entries of the supervisor's layers, as
// BuildKit's dockerfile frontend marks its own with "buildkit.dockerfile.v0".
const HistoryComment = "restart-frontend"

// Paths in the frontend image, which the Dockerfile writes and pkg/llb
// copies from.
const (
	// SourceDir holds the binaries of every platform, as
	// SourceDir/<os>/<arch>[/<variant>]/{supervisor,tools} (see
	// [SourcePath]).
	SourceDir = "/supervisors"
	// TriggerSource is an empty file with mode 0666, copied to the trigger
	// path of every image.
	TriggerSource = SourceDir + "/trigger"
	// LinksDir holds one symbolic link to [ToolsPath] per name of
	// [ToolNames], copied as links onto the image's PATH.
	LinksDir = SourceDir + "/links"
)

// Platforms lists, in the form containerd's platforms.Format prints, every
// platform the frontend image carries binaries for. The Dockerfile's
// SUPERVISOR_PLATFORMS builds exactly these (a test keeps the two in step).
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

// SourcePath is the path in the frontend image of the binary name
// ([SupervisorName] or [ToolsName]) for the platform id, one of [Platforms].
//
// Example:
//
//	SourcePath("linux/arm64", SupervisorName) // "/supervisors/linux/arm64/supervisor"
func SourcePath(id, name string) string {
	return SourceDir + "/" + id + "/" + name
}

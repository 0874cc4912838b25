# shellcheck shell=bash
#
# hack/rig.d/containerd.sh: containerd v2 and runc, built once from
# hack/tools/containerd for every rig component that runs containers on
# containerd v2 (dockerd 29, the kubelet). Each of those starts a containerd
# of its own, with its own root, state and socket; this file only builds the
# binaries and links them into one folder, CONTAINERD_BIN, that goes first in
# those containerds' PATH so that they find this runc and shim, never
# Debian's (runc 1.1.5 is too old for containerd 2: "namespace time does not
# exist"), which dockerd 20.10 and buildkitd keep using.

CONTAINERD_BIN=$BIN/containerd2
# runc links libseccomp.
PACKAGES+=(libseccomp-dev pkg-config)

containerd_tools() {
  local version runc_version dir
  version=$(tools_version "$TOOLS/containerd" github.com/containerd/containerd/v2)
  runc_version=$(tools_version "$TOOLS/containerd" github.com/opencontainers/runc)
  dir=$(build_tool containerd "$version" "$TOOLS/containerd" 0 \
    "-X github.com/containerd/containerd/v2/version.Version=$version -X github.com/containerd/containerd/v2/version.Package=github.com/containerd/containerd/v2" \
    "netgo osusergo static_build no_btrfs" \
    github.com/containerd/containerd/v2/cmd/containerd \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr)
  mkdir -p "$CONTAINERD_BIN"
  ln -sfn "$dir/containerd" "$CONTAINERD_BIN/containerd"
  ln -sfn "$dir/containerd-shim-runc-v2" "$CONTAINERD_BIN/containerd-shim-runc-v2"
  ln -sfn "$dir/ctr" "$CONTAINERD_BIN/ctr"
  # runc needs cgo for libseccomp (Debian's libseccomp-dev).
  dir=$(build_tool runc "$runc_version" "$TOOLS/containerd" 1 "" seccomp github.com/opencontainers/runc)
  ln -sfn "$dir/runc" "$CONTAINERD_BIN/runc"
}

# shellcheck shell=bash
#
# hack/rig.d/buildkitd.sh: the rig's buildkitd, at exactly the BuildKit
# version the root go.mod requires (hack/tools/buildkit pins the same one:
# `hack/rig sync-tools` re-pins it). OCI worker on Debian's runc, overlayfs
# snapshotter, host network for RUN steps, the registry as docker.io mirror.
# Also builds buildctl and the upstream Dockerfile frontend, which the
# registry serves as docker/dockerfile (hack/rig-images).

BUILDKITD_TOML=$RIG_STATE/buildkitd/buildkitd.toml
BUILDKITD_SOCK=$SOCK/buildkitd.sock

# buildkit_version prints the BuildKit version the root module requires (as
# the build list has it; go.mod's own line if go cannot load the graph).
buildkit_version() {
  local v
  v=$(cd "$ROOT" && GOWORK=off GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' github.com/moby/buildkit 2>/dev/null) || v=
  if [ -z "$v" ]; then
    v=$(sed -nE 's/^[[:space:]]*(require[[:space:]]+)?github\.com\/moby\/buildkit[[:space:]]+(v[^[:space:]]+).*/\2/p' "$ROOT/go.mod" | head -n1)
  fi
  [ -n "$v" ] || die "cannot read the github.com/moby/buildkit version from $ROOT/go.mod"
  echo "$v"
}

buildkitd_sync_tools() {
  local want
  want=$(buildkit_version)
  log "pinning hack/tools/buildkit to github.com/moby/buildkit $want"
  (
    cd "$TOOLS/buildkit" || exit
    set -x
    GOWORK=off go mod edit -require="github.com/moby/buildkit@$want"
    GOWORK=off GOFLAGS=-mod=mod go mod tidy
  )
  log "review and commit hack/tools/buildkit/go.mod and go.sum (and the exclude block: copy BuildKit's own)"
}

# buildkitd_tools builds buildkitd and buildctl into .rig/bin and sets
# FRONTEND_BIN, the upstream dockerfile-frontend of the same version.
buildkitd_tools() {
  local version pinned dir
  version=$(buildkit_version)
  pinned=$(tools_version "$TOOLS/buildkit" github.com/moby/buildkit)
  [ "$version" = "$pinned" ] ||
    die "go.mod requires github.com/moby/buildkit $version but hack/tools/buildkit pins $pinned: run hack/rig sync-tools and commit"
  dir=$(build_tool buildkit "$version" "$TOOLS/buildkit" 0 \
    "-X github.com/moby/buildkit/version.Version=$version -X github.com/moby/buildkit/version.Package=github.com/moby/buildkit" \
    "osusergo netgo static_build seccomp" \
    github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl)
  ln -sfn "$dir/buildkitd" "$BIN/buildkitd"
  ln -sfn "$dir/buildctl" "$BIN/buildctl"
  dir=$(build_tool dockerfile-frontend "$version" "$TOOLS/buildkit" 0 \
    "-d -X main.Version=$version -X main.Package=github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend" \
    "osusergo netgo static_build" \
    github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend)
  # shellcheck disable=SC2034 # used by images.sh
  FRONTEND_BIN=$dir/dockerfile-frontend
}

buildkitd_config() {
  local registry=$1
  cat <<EOT
# Written by hack/rig: edits are overwritten.
root = "$RIG_STATE/buildkitd/root"
insecure-entitlements = ["network.host"]

[grpc]
  address = ["unix://$BUILDKITD_SOCK"]

[otel]
  socketPath = "$SOCK/buildkitd-otel.sock"

[worker.oci]
  enabled = true
  snapshotter = "overlayfs"
  binary = "$(command -v runc)"
  # RUN steps share the host's network (loopback included): no CNI needed.
  networkMode = "host"

[worker.containerd]
  enabled = false

[registry."docker.io"]
  mirrors = ["$registry"]

[registry."$registry"]
  http = true
EOT
}

buildkitd_ready() { "$BIN/buildctl" --addr "unix://$BUILDKITD_SOCK" debug workers; }

buildkitd_up() {
  local changed=0
  if write_config "$BUILDKITD_TOML" "$(buildkitd_config "$(registry_addr)")"; then changed=1; fi
  if stale_binary buildkitd "$BIN/buildkitd"; then
    log "buildkitd was rebuilt: restarting it"
    changed=1
  fi
  if pid_of buildkitd >/dev/null; then
    if [ "$changed" = 0 ]; then
      wait_ready buildkitd buildkitd_ready
      return 0
    fi
    log "restarting buildkitd (new binary or buildkitd.toml)"
  fi
  stop_daemon buildkitd
  mkdir -p "$RIG_STATE/buildkitd/root" "$SOCK"
  start_daemon buildkitd "$BIN/buildkitd" --config "$BUILDKITD_TOML"
  wait_ready buildkitd buildkitd_ready
}

buildkitd_down() { stop_daemon buildkitd; }

buildkitd_env() { printf 'export BUILDKIT_HOST=%q\n' "unix://$BUILDKITD_SOCK"; }

buildkitd_status() { daemon_status buildkitd "unix://$BUILDKITD_SOCK"; }

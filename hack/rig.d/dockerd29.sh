# shellcheck shell=bash
#
# hack/rig.d/dockerd29.sh: Docker Engine 29, the daemon most users run, beside
# Debian's 20.10 (dockerd.sh). Built from the module proxy (hack/tools/dockerd
# pins github.com/moby/moby/v2 at the module tag of a docker-v29.x release and
# the docker CLI of that release), with the containerd image store on, as 29
# has by default. Its embedded BuildKit (v0.33) has CurrentFrontend and
# MergeOp, so builds through it take the frontend's modern paths. Its own
# data-root, exec-root, bridge and cgroup parent; no iptables; the registry as
# its docker.io mirror and an insecure registry.
#
# containerd: dockerd starts and supervises a containerd of its own (root
# under its data-root, socket under its exec-root), as 20.10 does in
# dockerd.sh, rather than one the rig starts and passes with --containerd:
# dockerd then writes that containerd's config for its own roots, restarts it
# if it dies and stops it on exit, and the rig tracks one pid per daemon. It
# finds containerd, the shim and runc on its PATH, so CONTAINERD_BIN
# (containerd.sh: containerd v2 and runc at the versions this release pins)
# goes first in it. dockerd only manages its own containerd when none answers
# at /run/containerd/containerd.sock: dockerd29_up refuses to start over a
# host containerd there.
#
# The CLI: dockerd 29 accepts API 1.40 and newer by default, so Debian's 20.10
# client (API 1.41) still reaches it, but users of 29 drive it with the CLI
# of its own release, and so do the rig's tests: it is built here, and
# .rig/bin/docker29 runs it against dockerd 29 (hack/rig env: DOCKER29_CLI,
# DOCKER29_HOST). It finds the same buildx and compose plugins (clients.sh)
# in the same DOCKER_CONFIG. DOCKER_HOST, and so a plain `docker`, stay on
# 20.10: every test and bench figure written before 29 came in means 20.10 by
# it, and 20.10 is the daemon whose fallback paths need the most proof.
#
# RIG_DOCKER29=0 skips building and starting it (a quick local loop only:
# make test runs the suite on both daemons and skips 29's half without it).
: "${RIG_DOCKER29=1}"

DOCKERD29_JSON=$RIG_STATE/dockerd29/daemon.json
DOCKERD29_SOCK=$SOCK/docker29.sock
DOCKERD29_EXEC_ROOT=$SOCK/dockerd29
DOCKERD29_BRIDGE=rfr29$(rig_hash 29 8)
DOCKERD29_CGROUP=rf-rig29-$(rig_hash 29)
HOST_CONTAINERD_SOCK=/run/containerd/containerd.sock

# module_dir MODULE prints the module cache folder of MODULE as
# hack/tools/dockerd pins it.
module_dir() {
  (cd "$TOOLS/dockerd" && GOWORK=off go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
}

# dockerd29_release prints the docker-v29.x release that the pinned moby
# module tag is: the module's own releases/versions.yaml names it ("last").
dockerd29_release() {
  local dir v
  dir=$(module_dir github.com/moby/moby/v2)
  v=$(sed -n 's/^[[:space:]]*last: "\(.*\)"$/\1/p' "$dir/releases/versions.yaml" 2>/dev/null)
  [ -n "$v" ] || die "cannot read the Docker release from $dir/releases/versions.yaml"
  echo "$v"
}

# dockerd29_cli_go prints the go version of the pinned docker/cli's
# vendor.mod (its go.mod in its own repository).
dockerd29_cli_go() {
  local dir v
  dir=$(module_dir github.com/docker/cli)
  v=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$dir/vendor.mod")
  [ -n "$v" ] || die "no go line in $dir/vendor.mod"
  echo "$v"
}

dockerd29_tools() {
  [ "$RIG_DOCKER29" = 1 ] || return 0
  local module release cli dir
  module=$(tools_version "$TOOLS/dockerd" github.com/moby/moby/v2)
  release=$(dockerd29_release)
  cli=$(tools_version "$TOOLS/dockerd" github.com/docker/cli)
  [ "$cli" = "v$release+incompatible" ] ||
    die "hack/tools/dockerd pins github.com/docker/cli $cli but moby $module is Docker $release: pin github.com/docker/cli@v$release+incompatible"
  # The proxy keeps no commit for a module tag: the git-commit field names
  # the module version the daemon was built from instead. docker/cli has no
  # go.mod (it is +incompatible), so Go compiles it as go1.16: most of its
  # files lift that with a //go:build go1.NN line, cmd/docker's
  # aliases_utils.go does not, so the language version of its vendor.mod is
  # passed to the compiler.
  dir=$(TOOL_GCFLAGS="github.com/docker/cli/...=-lang=go$(dockerd29_cli_go)" build_tool docker29 "$release" "$TOOLS/dockerd" 0 \
    "-X github.com/moby/moby/v2/dockerversion.Version=$release -X github.com/moby/moby/v2/dockerversion.GitCommit=moby/v2@$module -X github.com/docker/cli/cli/version.Version=$release -X github.com/docker/cli/cli/version.GitCommit=cli@v$release" \
    "netgo osusergo static_build no_btrfs" \
    github.com/moby/moby/v2/cmd/dockerd github.com/moby/moby/v2/cmd/docker-proxy github.com/docker/cli/cmd/docker)
  DOCKERD29_DIR=$dir
  # docker29 is that CLI talking to dockerd 29 (DOCKER29_HOST), whatever
  # DOCKER_HOST says: `docker29 build .` next to a plain `docker build .`.
  cat >"$BIN/docker29.tmp" <<EOT
#!/bin/sh
# Made by hack/rig.d/dockerd29.sh: Docker 29's CLI, on the rig's dockerd 29.
DOCKER_HOST=\${DOCKER29_HOST:-unix://$DOCKERD29_SOCK} exec "$dir/docker" "\$@"
EOT
  chmod +x "$BIN/docker29.tmp"
  mv -f "$BIN/docker29.tmp" "$BIN/docker29"
}

dockerd29_config() {
  local registry=$1
  cat <<EOT
{
  "hosts": ["unix://$DOCKERD29_SOCK"],
  "data-root": "$RIG_STATE/dockerd29/data",
  "exec-root": "$DOCKERD29_EXEC_ROOT",
  "pidfile": "$DOCKERD29_EXEC_ROOT/docker.pid",
  "bridge": "$DOCKERD29_BRIDGE",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "userland-proxy": false,
  "cgroup-parent": "/$DOCKERD29_CGROUP",
  "features": {"buildkit": true, "containerd-snapshotter": true},
  "registry-mirrors": ["http://$registry"],
  "insecure-registries": ["$registry"]
}
EOT
}

docker29_ready() { DOCKER_CONFIG=$DOCKER_CONFIG_DIR "$BIN/docker29" -H "unix://$DOCKERD29_SOCK" version --format '{{.Server.Version}}'; }

dockerd29_up() {
  [ "$RIG_DOCKER29" = 1 ] || return 0
  local changed=0
  if write_config "$DOCKERD29_JSON" "$(dockerd29_config "$(registry_addr)")"; then changed=1; fi
  if pid_of dockerd29 >/dev/null; then
    if [ "$changed" = 0 ] && ! stale_binary dockerd29 "$DOCKERD29_DIR/dockerd"; then
      wait_ready dockerd29 docker29_ready
      return 0
    fi
    log "daemon.json or the dockerd 29 build changed: restarting dockerd29"
  fi
  dockerd29_down
  [ ! -S "$HOST_CONTAINERD_SOCK" ] ||
    die "a containerd answers at $HOST_CONTAINERD_SOCK: dockerd 29 would use it instead of its own; stop it or set RIG_DOCKER29=0"
  mkdir -p "$RIG_STATE/dockerd29/data" "$SOCK"
  rm -f "$DOCKERD29_EXEC_ROOT/docker.pid"
  ensure_bridge "$DOCKERD29_BRIDGE"
  PATH=$CONTAINERD_BIN:$DOCKERD29_DIR:$PATH start_daemon dockerd29 "$DOCKERD29_DIR/dockerd" --config-file "$DOCKERD29_JSON"
  wait_ready dockerd29 docker29_ready
}

dockerd29_down() {
  local cpid=
  cpid=$(managed_containerd_pid "$DOCKERD29_EXEC_ROOT") || true
  stop_daemon dockerd29
  if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
    stop_pid containerd29 "$cpid"
  fi
  remove_bridge "$DOCKERD29_BRIDGE"
}

dockerd29_env() {
  [ "$RIG_DOCKER29" = 1 ] || return 0
  printf 'export DOCKER29_HOST=%q\n' "unix://$DOCKERD29_SOCK"
  printf 'export DOCKER29_CLI=%q\n' "$BIN/docker29"
}

dockerd29_status() {
  [ "$RIG_DOCKER29" = 1 ] || return 0
  local cpid rc=0
  daemon_status dockerd29 "unix://$DOCKERD29_SOCK (Docker $(docker29_ready 2>/dev/null || echo '?'))" || rc=$?
  if cpid=$(managed_containerd_pid "$DOCKERD29_EXEC_ROOT"); then
    status_line containerd29 "$(printf 'pid %-8s %-8s %s' "$cpid" running "unix://$DOCKERD29_EXEC_ROOT/containerd/containerd.sock (dockerd29's)")"
  fi
  return $rc
}

# shellcheck shell=bash
#
# hack/rig.d/clients.sh: the clients of the rig's daemons, in a private
# DOCKER_CONFIG (.rig/docker-config) so that the user's own docker config is
# never touched: the docker CLI, docker-buildx and docker-compose as CLI
# plugins (hack/tools/buildx, hack/tools/compose), and the buildx builder
# `rig` (remote driver on the rig's buildkitd).

# The docker CLI that `env` puts first in PATH (as .rig/bin/docker). Debian's
# 20.10 client, installed by `up` with the daemon, is the default: it is on
# every machine the rig ran on, and its `docker build` (with
# DOCKER_BUILDKIT=1) goes through the Engine API /build endpoint with a
# BuildKit session, which is exactly what Tilt's docker_build does. A newer
# client (e.g. /usr/local/bin/docker, 28.x) also works: with the buildx
# plugin present it turns `docker build` into `docker buildx build` on the
# default (docker driver) builder, i.e. still the daemon's BuildKit.
: "${RIG_DOCKER_CLI=/usr/bin/docker}"
# Build `docker compose` (a CLI plugin, for the Compose tests of examples/).
: "${RIG_COMPOSE=1}"

DOCKER_CONFIG_DIR=$RIG_STATE/docker-config

clients_tools() {
  local version dir
  mkdir -p "$DOCKER_CONFIG_DIR/cli-plugins"
  version=$(tools_version "$TOOLS/buildx" github.com/docker/buildx)
  dir=$(build_tool buildx "$version" "$TOOLS/buildx" 0 \
    "-X github.com/docker/buildx/version.Version=$version -X github.com/docker/buildx/version.Package=github.com/docker/buildx" \
    "" github.com/docker/buildx/cmd/buildx)
  ln -sfn "$dir/buildx" "$DOCKER_CONFIG_DIR/cli-plugins/docker-buildx"
  # The first Compose build takes a few minutes; then it is cached like the
  # other tools. RIG_COMPOSE=0 skips it, and the Compose tests then skip.
  if [ "$RIG_COMPOSE" = 1 ]; then
    version=$(tools_version "$TOOLS/compose" github.com/docker/compose/v2)
    dir=$(build_tool compose "$version" "$TOOLS/compose" 0 \
      "-X github.com/docker/compose/v2/internal.Version=$version" "" github.com/docker/compose/v2/cmd)
    ln -sfn "$dir/cmd" "$DOCKER_CONFIG_DIR/cli-plugins/docker-compose"
  else
    rm -f "$DOCKER_CONFIG_DIR/cli-plugins/docker-compose"
  fi
  [ -x "$RIG_DOCKER_CLI" ] || die "docker CLI $RIG_DOCKER_CLI not found (RIG_DOCKER_CLI)"
  ln -sfn "$RIG_DOCKER_CLI" "$BIN/docker"
  [ -f "$DOCKER_CONFIG_DIR/config.json" ] || echo '{}' >"$DOCKER_CONFIG_DIR/config.json"
}

# clients_up creates the `rig` buildx builder, or fixes its endpoint.
clients_up() {
  local want=unix://$BUILDKITD_SOCK out
  export DOCKER_CONFIG=$DOCKER_CONFIG_DIR DOCKER_HOST=unix://$DOCKERD_SOCK
  if out=$("$BIN/docker" buildx inspect rig 2>/dev/null); then
    if grep -q "Endpoint: *$want\$" <<<"$out"; then
      return 0
    fi
    (set -x; "$BIN/docker" buildx rm rig) >&2
  fi
  (set -x; "$BIN/docker" buildx create --name rig --driver remote "$want") >&2
}

clients_down() { :; }

clients_env() {
  printf 'export DOCKER_CONFIG=%q\n' "$DOCKER_CONFIG_DIR"
  printf 'export DOCKER_BUILDKIT=1\n'
}

# shellcheck shell=bash
#
# hack/rig.d/dockerd.sh: Docker Engine 20.10, Debian's docker.io, with the
# containerd that it starts itself from Debian's containerd package. The
# oldest daemon the project supports: its BuildKit (v0.8) has neither
# CurrentFrontend nor MergeOp, so builds through it take the frontend's
# fallback paths. Its own data-root, exec-root, bridge and cgroup parent; no
# iptables; the registry as its docker.io mirror.

DOCKERD_JSON=$RIG_STATE/dockerd/daemon.json
DOCKERD_SOCK=$SOCK/docker.sock
DOCKERD_EXEC_ROOT=$SOCK/dockerd
# dockerd's own BuildKit needs a bridge network for RUN steps, and docker0
# would be shared with any other dockerd on the host: the bridge is named
# after this checkout (at most 15 characters), as is the cgroup parent.
DOCKERD_BRIDGE=rfrig$(rig_hash "" 8)
DOCKERD_CGROUP=rf-rig-$(rig_hash "")

dockerd_config() {
  local registry=$1
  cat <<EOT
{
  "hosts": ["unix://$DOCKERD_SOCK"],
  "data-root": "$RIG_STATE/dockerd/data",
  "exec-root": "$DOCKERD_EXEC_ROOT",
  "pidfile": "$DOCKERD_EXEC_ROOT/docker.pid",
  "storage-driver": "overlay2",
  "bridge": "$DOCKERD_BRIDGE",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "userland-proxy": false,
  "cgroup-parent": "/$DOCKERD_CGROUP",
  "features": {"buildkit": true},
  "registry-mirrors": ["http://$registry"],
  "insecure-registries": ["$registry"]
}
EOT
}

# docker_ready SOCK succeeds when the daemon at SOCK answers.
docker_ready() { DOCKER_CONFIG=$DOCKER_CONFIG_DIR "$BIN/docker" -H "unix://$1" version --format '{{.Server.Version}}'; }

# managed_containerd_pid EXEC_ROOT prints the pid of the containerd that the
# dockerd with that exec-root started (dockerd 20.10 here, dockerd 29 too).
managed_containerd_pid() {
  local pid
  pid=$(cat "$1/containerd/containerd.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(basename "$(readlink "/proc/$pid/exe")")" = containerd ] && echo "$pid"
}

# ensure_bridge NAME makes the bridge NAME unless it exists: dockerd makes
# docker0 itself but wants any other bridge to exist, and gives it a free
# subnet. Containers reach the host through it, nothing beyond.
ensure_bridge() {
  if ! ip link show "$1" >/dev/null 2>&1; then
    (set -x; ip link add name "$1" type bridge)
  fi
  ip link set "$1" up
}

remove_bridge() {
  if ip link show "$1" >/dev/null 2>&1; then
    (set -x; ip link del "$1")
  fi
}

dockerd_up() {
  local changed=0
  if write_config "$DOCKERD_JSON" "$(dockerd_config "$(registry_addr)")"; then changed=1; fi
  if pid_of dockerd >/dev/null; then
    if [ "$changed" = 0 ]; then
      wait_ready dockerd docker_ready "$DOCKERD_SOCK"
      return 0
    fi
    log "daemon.json changed: restarting dockerd"
  fi
  dockerd_down
  command -v dockerd >/dev/null || die "dockerd not found: is Debian's docker.io installed?"
  mkdir -p "$RIG_STATE/dockerd/data" "$SOCK"
  # A dockerd killed hard leaves its pidfile and containerd's; both refuse to
  # start over a pid that now belongs to another process.
  rm -f "$DOCKERD_EXEC_ROOT/docker.pid"
  ensure_bridge "$DOCKERD_BRIDGE"
  start_daemon dockerd "$(command -v dockerd)" --config-file "$DOCKERD_JSON"
  wait_ready dockerd docker_ready "$DOCKERD_SOCK"
}

dockerd_down() {
  local cpid=
  cpid=$(managed_containerd_pid "$DOCKERD_EXEC_ROOT") || true
  stop_daemon dockerd
  # dockerd stops its own containerd; make sure it did.
  if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
    stop_pid containerd "$cpid"
  fi
  remove_bridge "$DOCKERD_BRIDGE"
}

dockerd_env() { printf 'export DOCKER_HOST=%q\n' "unix://$DOCKERD_SOCK"; }

dockerd_status() {
  local cpid rc=0
  daemon_status dockerd "unix://$DOCKERD_SOCK (Docker $(dpkg-query -W -f='${Version}' docker.io 2>/dev/null))" || rc=$?
  if cpid=$(managed_containerd_pid "$DOCKERD_EXEC_ROOT"); then
    status_line containerd "$(printf 'pid %-8s %-8s %s' "$cpid" running "unix://$DOCKERD_EXEC_ROOT/containerd/containerd.sock (dockerd's)")"
  fi
  return $rc
}

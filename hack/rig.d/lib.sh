# shellcheck shell=bash
#
# hack/rig.d/lib.sh: what every rig component shares: logging, starting and
# stopping daemons by pid, Debian packages, and building pinned tools once per
# host. Sourced by hack/rig before the components; nothing here starts a
# daemon by itself.

cleanups=()
clean() {
  local i
  for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do
    eval "${cleanups[$i]}" || true
  done
}
trap clean EXIT

log() { echo "rig: $*" >&2; }
die() { log "$*"; exit 1; }

# socket_dir prints the folder for unix sockets and daemons' exec-roots. Unix
# socket paths are limited to 108 bytes and containerd nests its sockets in
# an exec-root, so a long checkout path moves them to /tmp/rf-rig-<hash>.
socket_dir() {
  local dir=$RIG_STATE/run
  if [ ${#dir} -gt 60 ]; then
    dir=/tmp/rf-rig-$(printf %s "$RIG_STATE" | sha256sum | cut -c1-12)
  fi
  echo "$dir"
}

# rig_hash WORD prints a short hash of this checkout's state folder and WORD:
# names that are host-global (cgroups, bridges) take it so that two
# checkouts' rigs never share one.
rig_hash() { printf %s "$RIG_STATE$1" | sha256sum | cut -c1-"${2:-12}"; }

# --- processes ---------------------------------------------------------------

# pid_of NAME prints the recorded pid of daemon NAME if that process is alive
# and still runs the executable it was started with (pids get reused).
pid_of() {
  local name=$1 pid exe want
  pid=$(cat "$PIDS/$name.pid" 2>/dev/null) || return 1
  want=$(cat "$PIDS/$name.exe" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [ "${exe##*/}" = "$want" ] && echo "$pid"
}

# stale_binary NAME BINARY succeeds when daemon NAME runs another executable
# than BINARY (a new pin or tool source moved the cached build).
stale_binary() {
  local pid
  pid=$(pid_of "$1") || return 1
  [ "$(readlink "/proc/$pid/exe")" != "$(readlink -f "$2")" ] && ! cmp -s "/proc/$pid/exe" "$2"
}

tail_log() {
  local logf=$1
  if [ -f "$logf" ]; then
    echo "--- last 20 lines of $logf ---" >&2
    tail -n 20 "$logf" >&2
    echo "---" >&2
  fi
}

# start_daemon NAME CMD... starts CMD in its own session, detached from the
# terminal, logging to .rig/logs/NAME.log, and records its pid and the name of
# its executable (for pid_of).
start_daemon() {
  local name=$1
  shift
  local logf=$LOGS/$name.log exe
  exe=$(readlink -f "$(command -v "$1")") || die "$name: $1 not found"
  if [ -f "$logf" ] && [ "$(stat -c %s "$logf")" -gt $((64 << 20)) ]; then
    mv -f "$logf" "$logf.1"
  fi
  echo "=== $(date -Is) rig: starting $name" >>"$logf"
  echo "${exe##*/}" >"$PIDS/$name.exe"
  # fd 8 holds the rig's lock: the daemon must not keep it.
  (set -x; setsid "$@" </dev/null >>"$logf" 2>&1 8>&- &
    echo $! >"$PIDS/$name.pid")
}

# wait_ready NAME PROBE... polls PROBE until it succeeds, the daemon dies, or
# RIG_TIMEOUT passes; the last two fail naming the daemon and its log.
wait_ready() {
  local name=$1
  shift
  local deadline=$((SECONDS + RIG_TIMEOUT)) pid
  pid=$(cat "$PIDS/$name.pid")
  while :; do
    # Alive is enough here: right after the fork /proc/PID/exe is still
    # setsid's or bash's, which pid_of would take for a stranger.
    if ! kill -0 "$pid" 2>/dev/null; then
      tail_log "$LOGS/$name.log"
      die "$name exited while starting: see $LOGS/$name.log"
    fi
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail_log "$LOGS/$name.log"
      die "$name did not start within ${RIG_TIMEOUT}s: see $LOGS/$name.log"
    fi
    sleep 0.2
  done
}

# stop_pid NAME PID sends SIGTERM, waits up to RIG_STOP_TIMEOUT, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 deadline=$((SECONDS + RIG_STOP_TIMEOUT))
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "$name (pid $pid) did not exit within ${RIG_STOP_TIMEOUT}s: killing it; see $LOGS/$name.log"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}

# stop_daemon NAME stops daemon NAME if it runs and forgets its pid.
stop_daemon() {
  local name=$1 pid
  if pid=$(pid_of "$name"); then
    stop_pid "$name" "$pid"
  fi
  rm -f "$PIDS/$name.pid" "$PIDS/$name.exe"
}

# ensure_daemon NAME CHANGED CMD... starts daemon NAME with CMD unless it
# already runs that binary with exactly these arguments; CHANGED=1 (a config
# file that CMD reads changed) restarts it all the same.
ensure_daemon() {
  local name=$1 changed=$2
  shift 2
  if write_config "$PIDS/$name.args" "$*"; then changed=1; fi
  if stale_binary "$name" "$1"; then changed=1; fi
  if pid_of "$name" >/dev/null; then
    [ "$changed" = 1 ] || return 0
    log "$name: new binary, arguments or config: restarting it"
  fi
  stop_daemon "$name"
  start_daemon "$name" "$@"
}

# status_line NAME TEXT prints one line of `hack/rig status`, aligned.
status_line() { printf '%-23s %s\n' "$1" "$2"; }

# daemon_status NAME ADDR prints one line of `hack/rig status`; it fails
# when the daemon does not run.
daemon_status() {
  local name=$1 addr=$2 pid state
  if pid=$(pid_of "$name"); then
    state=running
  else
    pid=$(cat "$PIDS/$name.pid" 2>/dev/null) || pid=-
    [ "$pid" = - ] && state=stopped || state=dead
  fi
  status_line "$name" "$(printf 'pid %-8s %-8s %s' "$pid" "$state" "$addr")"
  [ "$state" = running ]
}

# unmount_below DIR... unmounts whatever is mounted below the DIRs, deepest
# first: daemons killed hard leave overlay and netns mounts behind.
unmount_below() {
  local d m
  for d in "$@"; do
    findmnt -rn -o TARGET | awk -v d="$d/" 'index($0, d) == 1'
  done | sort -ru | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
}

# port_for NAME prints the loopback TCP port kept in $RIG_STATE/NAME.port for a
# daemon that cannot listen on port 0 and report the port it got (etcd, the
# Kubernetes API server, the kubelet): picked once among the ports nothing
# listens on, and picked again when another process took it meanwhile. Call
# it only while the daemon is stopped.
port_for() {
  local file=$RIG_STATE/$1.port port tries=0
  port=$(cat "$file" 2>/dev/null) || port=
  while [ -z "$port" ] || [ -n "$(ss -Hltn "sport = :$port")" ]; do
    tries=$((tries + 1))
    [ $tries -le 100 ] || die "no free loopback port for $1"
    # Below the kernel's ephemeral range (32768-60999), so that no outgoing
    # connection takes it between now and the daemon's start.
    port=$((20000 + RANDOM % 12000))
  done
  mkdir -p "$(dirname "$file")"
  echo "$port" >"$file"
  echo "$port"
}

# --- packages ----------------------------------------------------------------

# ensure_packages PKG... installs the Debian packages that are missing.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "must run as root to install ${missing[*]}"
  log "installing from Debian: ${missing[*]}"
  # No init system runs services here, but maintainer scripts still call
  # invoke-rc.d: a policy-rc.d that answers 101 keeps them from starting a
  # system dockerd or containerd on /var/run/docker.sock.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    cleanups+=("rm -f /usr/sbin/policy-rc.d")
  fi
  (set -x; apt-get update -q)
  (set -x; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}")
}

# --- tools -------------------------------------------------------------------

# tools_version MODDIR MODULE prints the version of MODULE that the tools
# module in MODDIR pins.
tools_version() {
  (cd "$1" && GOWORK=off go list -m -f '{{.Version}}' "$2")
}

# tool_key MODDIR FLAGS prints a short hash of a tools module (go.mod, go.sum
# and Go files) and of the build flags, so that a cached build is reused only
# for exactly the same pins, sources and flags.
tool_key() {
  {
    find "$1" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort | xargs cat
    echo "$2"
  } | sha256sum | cut -c1-12
}

# build_tool NAME VERSION MODDIR CGO LDFLAGS TAGS PKG... builds PKGs (with
# CGO_ENABLED=CGO) once per host into $RIG_CACHE/NAME-VERSION-KEY/ and prints
# that folder. VERSION only names the folder: the tools module pins it.
# TOOL_GCFLAGS, set for one call, adds -gcflags to the build (e.g. to lift
# the go1.16 language version Go gives a module that has no go.mod).
build_tool() {
  local name=$1 version=$2 moddir=$3 cgo=$4 ldflags=$5 tags=$6 gcflags=${TOOL_GCFLAGS:-}
  shift 6
  local dir
  dir=$RIG_CACHE/$name-$version-$(tool_key "$moddir" "$cgo|$ldflags|$tags|$*${gcflags:+|$gcflags}")
  if [ -f "$dir/.done" ]; then
    echo "$dir"
    return 0
  fi
  mkdir -p "$RIG_CACHE"
  # Every step checks its status by hand: build_tool runs inside $(...),
  # where bash turns set -e off, and a failed build (a full disk, once) must
  # not be cached as done.
  (
    flock 9 || exit 1
    [ -f "$dir/.done" ] && exit 0
    log "building $name $version into $dir (cached for this host)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" || exit 1
    cd "$moddir" || exit 1
    set -x
    # GOGC=400: about 5% less compiler CPU for ~20% more memory (measured).
    GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=$cgo GOGC=400 \
      go build -trimpath -tags "$tags" -ldflags "$ldflags" ${gcflags:+"-gcflags=$gcflags"} -o "$dir.tmp/" "$@" || exit 1
    { set +x; } 2>/dev/null
    [ -n "$(ls -A "$dir.tmp")" ] || { log "building $name: go build wrote nothing"; exit 1; }
    touch "$dir.tmp/.done" && rm -rf "$dir" && mv "$dir.tmp" "$dir"
  ) 9>"$RIG_CACHE/.build-$name.lock" >&2 || die "could not build $name $version (see the output above); nothing was cached"
  echo "$dir"
}

# --- configs -----------------------------------------------------------------

# write_config FILE CONTENT replaces FILE when CONTENT differs; returns 0 when
# it changed (so a running daemon must restart), 1 when it did not.
write_config() {
  local file=$1 content=$2
  mkdir -p "$(dirname "$file")"
  if [ -f "$file" ] && [ "$(cat "$file")" = "$content" ]; then
    return 1
  fi
  printf '%s\n' "$content" >"$file.tmp"
  mv -f "$file.tmp" "$file"
  return 0
}

# shellcheck shell=bash
#
# hack/rig.d/registry.sh: the rig's registry. rig-registry
# (hack/tools/registry, on go-containerregistry) on 127.0.0.1 at a port it
# picks once and keeps; every daemon of the rig uses it as its docker.io
# mirror and as a plain-HTTP registry at its own address. Blobs live on disk
# and a journal of manifest writes is replayed at start, so images pushed into
# it (the seeded base images, the frontend) outlive restarts.

REGISTRY_PORT_FILE=$RIG_STATE/registry/port
REGISTRY_STORAGE=(-blobs "$RIG_STATE/registry/blobs" -journal "$RIG_STATE/registry/manifests.jsonl")

registry_port() { cat "$REGISTRY_PORT_FILE" 2>/dev/null || true; }
# registry_addr prints HOST:PORT, as images name it.
registry_addr() { echo "127.0.0.1:$(registry_port)"; }
registry_ready() { curl -fsS -o /dev/null "http://$(registry_addr)/v2/"; }

registry_tools() {
  local dir
  dir=$(build_tool registry "$(tools_version "$TOOLS/registry" github.com/google/go-containerregistry)" \
    "$TOOLS/registry" 0 "" "" ./cmd/rig-registry github.com/google/go-containerregistry/cmd/crane)
  ln -sfn "$dir/rig-registry" "$BIN/rig-registry"
  ln -sfn "$dir/crane" "$BIN/crane"
}

registry_up() {
  local port
  if stale_binary registry "$BIN/rig-registry"; then
    log "rig-registry was rebuilt: restarting the registry"
  elif pid_of registry >/dev/null && registry_ready >/dev/null 2>&1; then
    return 0
  fi
  stop_daemon registry
  port=$(registry_port)
  mkdir -p "$RIG_STATE/registry"
  start_daemon registry "$BIN/rig-registry" -addr "127.0.0.1:${port:-0}" \
    -port-file "$REGISTRY_PORT_FILE" "${REGISTRY_STORAGE[@]}"
  if [ -n "$port" ]; then
    # The remembered port may have been taken meanwhile: pick a new one (the
    # changed configs then restart the daemons that use it).
    sleep 0.3
    if ! pid_of registry >/dev/null && grep -q 'address already in use' "$LOGS/registry.log"; then
      log "port $port is taken: picking a new registry port"
      rm -f "$REGISTRY_PORT_FILE"
      start_daemon registry "$BIN/rig-registry" -addr 127.0.0.1:0 \
        -port-file "$REGISTRY_PORT_FILE" "${REGISTRY_STORAGE[@]}"
    fi
  fi
  wait_ready registry sh -c "test -s '$REGISTRY_PORT_FILE'"
  wait_ready registry registry_ready
}

registry_down() { stop_daemon registry; }

registry_env() { printf 'export RIG_REGISTRY=%q\n' "$(registry_addr)"; }

registry_status() { daemon_status registry "http://$(registry_addr)"; }

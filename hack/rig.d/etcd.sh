# shellcheck shell=bash
#
# hack/rig.d/etcd.sh: the store of the rig's Kubernetes cluster
# (kubernetes.sh): one etcd member from go.etcd.io/etcd/server/v3
# (hack/tools/etcd), plain HTTP on 127.0.0.1 at ports picked once, data
# under .rig/kubernetes/etcd. etcd rather than kine: it is what
# kube-apiserver is built and tested against, one static binary with no
# sqlite (cgo) or translation layer between them. Skipped with RIG_K8S=0.

ETCD_DATA=$RIG_STATE/kubernetes/etcd

# etcd_url prints the client URL that kube-apiserver dials.
etcd_url() { echo "http://127.0.0.1:$(cat "$RIG_STATE/kubernetes/etcd.port" 2>/dev/null)"; }
etcd_ready() { curl -fsS "$(etcd_url)/health" | grep -q '"health":"true"'; }

etcd_tools() {
  [ "$RIG_K8S" = 1 ] || return 0
  local dir
  dir=$(build_tool etcd "$(tools_version "$TOOLS/etcd" go.etcd.io/etcd/server/v3)" "$TOOLS/etcd" 0 "" "" \
    go.etcd.io/etcd/server/v3)
  # go build names the binary after the module's last element but /v3.
  ln -sfn "$dir/server" "$BIN/etcd"
}

etcd_up() {
  [ "$RIG_K8S" = 1 ] || return 0
  if ! pid_of etcd >/dev/null; then
    port_for kubernetes/etcd >/dev/null
    port_for kubernetes/etcd-peer >/dev/null
  fi
  local client peer
  client=http://127.0.0.1:$(cat "$RIG_STATE/kubernetes/etcd.port")
  peer=http://127.0.0.1:$(cat "$RIG_STATE/kubernetes/etcd-peer.port")
  mkdir -p "$ETCD_DATA"
  chmod 700 "$ETCD_DATA"
  # One member on a throwaway machine: fsync buys nothing here and costs the
  # API server seconds per write on a busy disk.
  ensure_daemon etcd 0 "$BIN/etcd" --name rig --data-dir "$ETCD_DATA" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "rig=$peer" \
    --unsafe-no-fsync --log-level warn
  wait_ready etcd etcd_ready
}

etcd_down() { stop_daemon etcd; }

etcd_status() {
  [ "$RIG_K8S" = 1 ] || pid_of etcd >/dev/null || return 0
  daemon_status etcd "$(etcd_url) (etcd $(tools_version "$TOOLS/etcd" go.etcd.io/etcd/server/v3))"
}

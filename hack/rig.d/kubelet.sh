# shellcheck shell=bash
#
# hack/rig.d/kubelet.sh: the node of the rig's Kubernetes (kubernetes.sh
# says what the cluster is). A containerd v2 of its own for the CRI
# ($CONTAINERD_BIN from containerd.sh: own root, state, socket; the rig's
# registry as docker.io and registry.k8s.io, and as a plain-HTTP registry at
# its loopback address), the CNI plugins (hack/tools/cni) with a bridge of
# this checkout's, the pause image built from Kubernetes' own pause.c, and
# the kubelet, registered as node `localhost`, serving on 127.0.0.1.
# `up` returns when the node is Ready; `down` also stops every pod, removes
# the bridge, the cgroups, the /var/log/containers links, and restores the
# kernel settings that the kubelet changed.

K8S_CTR_TOML=$K8S_DIR/containerd/config.toml
K8S_CTR_SOCK=$SOCK/k8s-containerd.sock
K8S_CTR_STATE=$SOCK/k8s-containerd
K8S_HOSTS_D=$K8S_DIR/containerd/hosts.d
K8S_CNI_BIN=$BIN/cni
K8S_CNI_CONF=$K8S_DIR/cni
K8S_KUBELET_ROOT=$K8S_DIR/kubelet
K8S_POD_LOGS=$K8S_DIR/pod-logs
# Host-global names carry this checkout's hash: two rigs never share them.
K8S_BRIDGE=rfk8s$(rig_hash k8s 8)
K8S_CGROUP=rf-k8s-$(rig_hash k8s)
# The kubelet sets these host-wide at start (KernelTunableModify): `up` keeps
# their values from before any rig's kubelet ran in a file shared by every
# checkout, and the `down` that stops the host's last kubelet puts them back.
K8S_SYSCTL_ORIG=$RIG_CACHE/kubelet-sysctl.orig
K8S_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# pause.c is static C.
PACKAGES+=(gcc libc6-dev)

kubelet_tools() {
  [ "$RIG_K8S" = 1 ] || return 0
  local dir plugin
  dir=$(build_tool cni "$(tools_version "$TOOLS/cni" github.com/containernetworking/plugins)" "$TOOLS/cni" 0 "" "" \
    github.com/containernetworking/plugins/plugins/main/bridge \
    github.com/containernetworking/plugins/plugins/ipam/host-local \
    github.com/containernetworking/plugins/plugins/main/loopback \
    github.com/containernetworking/plugins/plugins/meta/portmap)
  mkdir -p "$K8S_CNI_BIN"
  for plugin in bridge host-local loopback portmap; do
    ln -sfn "$dir/$plugin" "$K8S_CNI_BIN/$plugin"
  done
}

# pause_dir prints Kubernetes' build/pause at the pinned release, from the
# module cache (downloaded again if the cache was cleaned while the binaries
# stayed cached); pause_tag its version, containerd's sandbox image.
pause_dir() {
  local dir
  dir=$(cd "$K8S_TOOLS" && GOWORK=off GOFLAGS=-mod=readonly go mod download -json k8s.io/kubernetes |
    sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')
  echo "$dir/build/pause"
}
pause_tag() { sed -nE 's/^TAG \?= (.*)$/\1/p' "$(pause_dir)/Makefile"; }

# pause_image pushes registry.k8s.io/pause:TAG into the rig's registry (which
# containerd uses as registry.k8s.io): Kubernetes' own pause.c, built with
# gcc -static once per host, FROM scratch, as its build/pause/Dockerfile has it.
pause_image() {
  local tag=$1 src dir ref
  ref=$(registry_addr)/pause:$tag
  src=$(pause_dir)/linux/pause.c
  dir=$RIG_CACHE/pause-$tag-$(sha256sum "$src" | cut -c1-12)
  if [ ! -f "$dir/layer.tar" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/rootfs"
    (set -x; gcc -Os -Wall -Werror -static -DVERSION="v$tag" -o "$dir/rootfs/pause" "$src")
    strip "$dir/rootfs/pause"
    tar --numeric-owner --owner=0 --group=0 -C "$dir/rootfs" -cf "$dir/layer.tar.tmp" pause
    mv -f "$dir/layer.tar.tmp" "$dir/layer.tar"
  fi
  if "$BIN/crane" config "$ref" 2>/dev/null | grep -q '"Entrypoint":\["/pause"\]'; then
    return 0
  fi
  (
    set -x
    "$BIN/crane" append -f "$dir/layer.tar" -t "$ref" >/dev/null
    "$BIN/crane" mutate "$ref" --set-platform linux/amd64 --entrypoint /pause --user 65535:65535 -t "$ref" >/dev/null
  ) >&2
}

# pod_subnet prints this node's pod subnet: a /24 picked once in 10.244/16
# (from this checkout's hash, skipping any the host routes already).
pod_subnet() {
  local file=$K8S_DIR/pod-subnet n i
  if [ ! -s "$file" ]; then
    n=$((16#$(rig_hash subnet 4) % 256))
    for ((i = 0; i < 256; i++)); do
      if ! ip route | grep -q "^10\.244\.$(((n + i) % 256))\."; then
        echo "10.244.$(((n + i) % 256)).0/24" >"$file"
        break
      fi
    done
  fi
  cat "$file"
}

kubelet_containerd_config() {
  cat <<EOT
# Written by hack/rig: edits are overwritten.
version = 3
root = "$K8S_DIR/containerd/root"
state = "$K8S_CTR_STATE"

[grpc]
  address = "$K8S_CTR_SOCK"

[ttrpc]
  address = "$K8S_CTR_SOCK.ttrpc"

[plugins.'io.containerd.internal.v1.opt']
  path = "$K8S_DIR/containerd/opt"

# NRI's socket is host-wide (/var/run/nri); nothing here uses it.
[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = 'registry.k8s.io/pause:$1'
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$K8S_HOSTS_D"

[plugins.'io.containerd.cri.v1.runtime']
  # The rig's root lacks CAP_SYS_RESOURCE: no process may lower its
  # oom_score_adj, as the pause container's -998 would.
  restrict_oom_score_adj = true
  # Pods' network namespaces under the state folder, not /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = 'io.containerd.runc.v2'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = "$CONTAINERD_BIN/runc"
      # runc's state, by default in /run/containerd/runc, shared by every
      # containerd on the host.
      Root = "$K8S_CTR_STATE/runc"
      SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$K8S_CNI_BIN"]
    conf_dir = "$K8S_CNI_CONF"

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = '127.0.0.1'
  stream_server_port = '0'
EOT
}

# kubelet_hosts writes containerd's per-registry hosts.toml: docker.io and
# registry.k8s.io are served by the rig's registry alone (never the
# Internet), and the registry's own address is plain HTTP.
kubelet_hosts() {
  local registry=$1 host changed=1
  for host in docker.io registry.k8s.io "$registry"; do
    if write_config "$K8S_HOSTS_D/$host/hosts.toml" "# Written by hack/rig: edits are overwritten.
server = \"http://$registry\"

[host.\"http://$registry\"]
  capabilities = [\"pull\", \"resolve\", \"push\"]"; then changed=0; fi
  done
  return $changed
}

kubelet_cni_config() {
  local subnet=$1
  cat <<EOT
{
  "cniVersion": "1.0.0",
  "name": "rig",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$K8S_BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$subnet", "gateway": "${subnet%.0/24}.1"}]],
        "dataDir": "$K8S_DIR/cni-ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOT
}

kubelet_config() {
  cat <<EOT
# Written by hack/rig: edits are overwritten.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $(cat "$K8S_DIR/kubelet.port")
readOnlyPort: 0
healthzPort: 0
tlsCertFile: $K8S_PKI/kubelet-serving.crt
tlsPrivateKeyFile: $K8S_PKI/kubelet-serving.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $K8S_PKI/ca.crt
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://$K8S_CTR_SOCK
# This machine runs cgroup v1, which kubelet >= 1.35 refuses by default.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$K8S_CGROUP
failSwapOn: false
podLogsDir: $K8S_POD_LOGS
volumePluginDir: $K8S_KUBELET_ROOT/volume-plugins
# No KUBE-* chains in the host's iptables: nothing here uses them (no kube-proxy).
makeIPTablesUtilChains: false
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# A shared build machine's disk is often past the default 85%: keep the
# node out of DiskPressure; images are the rig's own.
imageGCHighThresholdPercent: 100
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
EOT
}

# kubelet_cgroups prints the pods' cgroup root in each hierarchy (one on
# cgroup v2, one per controller on v1).
kubelet_cgroups() {
  local d
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    echo "/sys/fs/cgroup/$K8S_CGROUP"
    return 0
  fi
  for d in /sys/fs/cgroup/*/; do
    if [ -f "$d/cgroup.procs" ]; then echo "$d$K8S_CGROUP"; fi
  done
}

# kubelet_make_cgroups makes the pods' cgroup root, which the kubelet wants
# to exist; a new cpuset cgroup starts with no CPUs and no memory nodes, so it
# takes its parent's.
kubelet_make_cgroups() {
  local d f
  for d in $(kubelet_cgroups); do
    mkdir -p "$d"
    for f in cpuset.cpus cpuset.mems; do
      if [ -f "$d/$f" ] && [ -z "$(cat "$d/$f")" ]; then cat "$(dirname "$d")/$f" >"$d/$f"; fi
    done
  done
}

# node_ready SINCE succeeds when the node is Ready as of a heartbeat at or
# after SINCE (a restarted kubelet's node is still Ready from before).
node_ready() {
  local ready
  ready=$(kubectl_as admin get node "$K8S_NODE" \
    -o 'jsonpath={range .status.conditions[?(@.type=="Ready")]}{.status} {.lastHeartbeatTime}{end}')
  [ "${ready% *}" = True ] && [[ ! "${ready#* }" < "$1" ]]
}
kubelet_containerd_ready() { "$CONTAINERD_BIN/ctr" -a "$K8S_CTR_SOCK" version; }

kubelet_up() {
  [ "$RIG_K8S" = 1 ] || return 0
  local changed=0 tag subnet key before since
  tag=$(pause_tag)
  subnet=$(pod_subnet)
  # containerd and its registries.
  if write_config "$K8S_CTR_TOML" "$(kubelet_containerd_config "$tag")"; then changed=1; fi
  if kubelet_hosts "$(registry_addr)"; then changed=1; fi
  mkdir -p "$K8S_DIR/containerd/root" "$K8S_CTR_STATE"
  # CONTAINERD_BIN first in its PATH: it finds this runc's shim there.
  PATH=$CONTAINERD_BIN:$PATH ensure_daemon k8s-containerd "$changed" \
    "$CONTAINERD_BIN/containerd" --config "$K8S_CTR_TOML"
  wait_ready k8s-containerd kubelet_containerd_ready
  pause_image "$tag"
  # The bridge, made here with the gateway address so that the host reaches
  # its pods (the kubelet's probes); the CNI plugin then only plugs veths
  # into it, and never turns on IP forwarding (isGateway false).
  ensure_bridge "$K8S_BRIDGE"
  ip addr replace "${subnet%.0/24}.1/24" dev "$K8S_BRIDGE"
  write_config "$K8S_CNI_CONF/10-rig.conflist" "$(kubelet_cni_config "$subnet")" || true
  # The kubelet.
  changed=0
  if ! pid_of kubelet >/dev/null; then
    port_for kubernetes/kubelet >/dev/null
    if [ ! -f "$K8S_SYSCTL_ORIG" ] && [ -z "$(other_kubelets)" ]; then
      for key in "${K8S_SYSCTLS[@]}"; do echo "$key=$(sysctl -n "$key")"; done >"$K8S_SYSCTL_ORIG"
    fi
  fi
  if k8s_kubeconfig kubelet; then changed=1; fi
  if write_config "$K8S_DIR/kubelet.yaml" "$(kubelet_config)"; then changed=1; fi
  mkdir -p "$K8S_KUBELET_ROOT" "$K8S_POD_LOGS"
  kubelet_make_cgroups
  before=$(pid_of kubelet) || before=
  since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ensure_daemon kubelet "$changed" "$BIN/kubelet" --config "$K8S_DIR/kubelet.yaml" \
    --kubeconfig "$K8S_DIR/kubelet.kubeconfig" --root-dir "$K8S_KUBELET_ROOT" \
    --hostname-override "$K8S_NODE"
  if [ "$(cat "$PIDS/kubelet.pid")" = "$before" ]; then since=; fi
  RIG_TIMEOUT=$RIG_K8S_TIMEOUT wait_ready kubelet node_ready "$since"
}

# kubelet_stop_pods stops every container of the kubelet's containerd and
# deletes it: the shims outlive containerd otherwise.
kubelet_stop_pods() {
  local ctr=("$CONTAINERD_BIN/ctr" -a "$K8S_CTR_SOCK" -n k8s.io) id
  for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
    "${ctr[@]}" tasks kill -s KILL "$id" >/dev/null 2>&1 || true
  done
  for id in $("${ctr[@]}" containers ls -q 2>/dev/null); do
    "${ctr[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true
    "${ctr[@]}" containers delete "$id" >/dev/null 2>&1 || true
    # The CNI result cache (host-wide, /var/lib/cni) of a sandbox that was
    # never torn down through the CRI.
    rm -f /var/lib/cni/results/*-"$id"-*
  done
}

# kubelet_host_leftovers removes, once the host's last kubelet has stopped,
# what kubelets make in host-wide places whatever their configuration: the
# device-plugin socket (a fixed path), and the folders that the kubelet and
# the CNI result cache leave empty.
kubelet_host_leftovers() {
  [ -z "$(other_kubelets)" ] || return 0
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet /var/lib/cni/results /var/lib/cni /var/log/containers 2>/dev/null || true
}

# other_kubelets prints the pids of the kubelets that run on this host
# besides this rig's (other checkouts' rigs), to leave the kernel settings
# to the last one.
other_kubelets() {
  local p mine
  mine=$(pid_of kubelet) || mine=
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" != "$mine" ] || continue
    if [ "$(basename "$(readlink "$p/exe" 2>/dev/null)")" = kubelet ]; then echo "${p#/proc/}"; fi
  done
}

# kubelet_shims prints the pids of the shims of the kubelet's containerd:
# those that name its socket.
kubelet_shims() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(basename "$(readlink "$p/exe" 2>/dev/null)")" = containerd-shim-runc-v2 ] || continue
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "-address $K8S_CTR_SOCK "; then echo "${p#/proc/}"; fi
  done
}

kubelet_down() {
  local f pid key value
  stop_daemon kubelet
  if pid_of k8s-containerd >/dev/null; then kubelet_stop_pods; fi
  stop_daemon k8s-containerd
  # What containerd could not stop (it was killed hard): each container's
  # init, if it still runs in the pods' cgroup (a pid namespace ends with its
  # init), then the shims.
  for f in "$K8S_CTR_STATE"/io.containerd.runtime.v2.task/k8s.io/*/init.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if grep -qF "/$K8S_CGROUP/" "/proc/$pid/cgroup" 2>/dev/null; then kill -KILL "$pid"; fi
  done
  for pid in $(kubelet_shims); do stop_pid containerd-shim "$pid"; done
  # The kubelet bind-mounts its root folder onto itself, too.
  unmount_below "$K8S_CTR_STATE" "$K8S_DIR"
  remove_bridge "$K8S_BRIDGE"
  rm -rf "$K8S_DIR/cni-ipam"
  # The pods' cgroups, deepest first.
  for f in $(kubelet_cgroups); do
    if [ -d "$f" ]; then find "$f" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  if [ -d /var/log/containers ]; then
    find /var/log/containers -maxdepth 1 -type l -lname "$K8S_POD_LOGS/*" -delete
  fi
  kubelet_host_leftovers
  if [ -f "$K8S_SYSCTL_ORIG" ] && [ -z "$(other_kubelets)" ]; then
    while IFS='=' read -r key value; do
      sysctl -q -w "$key=$value" >/dev/null || log "cannot restore $key=$value"
    done <"$K8S_SYSCTL_ORIG"
    rm -f "$K8S_SYSCTL_ORIG"
  fi
}

kubelet_status() {
  [ "$RIG_K8S" = 1 ] || pid_of kubelet >/dev/null || return 0
  local rc=0
  daemon_status k8s-containerd "unix://$K8S_CTR_SOCK (the kubelet's)" || rc=$?
  daemon_status kubelet "https://127.0.0.1:$(cat "$K8S_DIR/kubelet.port" 2>/dev/null) (node $K8S_NODE, pods on $K8S_BRIDGE $(cat "$K8S_DIR/pod-subnet" 2>/dev/null))" || rc=$?
  return $rc
}

# shellcheck shell=bash
#
# hack/rig.d/binfmt.sh: emulation for the rig. Debian's qemu-user-static
# registers, through binfmt-support, one binfmt_misc entry per architecture
# with the fix-binary flag F: the kernel opens the interpreter when the entry is
# registered, so it also runs binaries inside containers, whose root
# filesystem has no /usr/bin/qemu-*-static. Only the rig's own entries
# (qemu-ARCH for each of RIG_BINFMT_ARCHES) are touched; the host's other
# entries are left as they are.
#
#   binfmt_up      mount binfmt_misc if absent and enable the entries
#                  (idempotent)
#   binfmt_status  one line per entry: enabled or not, and its flags

# The qemu names of the architectures pkg/contract.Platforms needs beside the
# host's own (386 runs natively on amd64).
: "${RIG_BINFMT_ARCHES=aarch64 arm ppc64le s390x riscv64}"

BINFMT_MISC=/proc/sys/fs/binfmt_misc
PACKAGES+=(qemu-user-static binfmt-support)

# binfmt_flags NAME prints the flags of the registered entry NAME (empty
# when it is not registered).
binfmt_flags() {
  sed -n 's/^flags: *//p' "$BINFMT_MISC/$1" 2>/dev/null || true
}

binfmt_up() {
  local arch name flags
  if ! mountpoint -q "$BINFMT_MISC"; then
    log "mounting binfmt_misc at $BINFMT_MISC"
    (set -x; mount -t binfmt_misc binfmt_misc "$BINFMT_MISC") ||
      die "cannot mount binfmt_misc: load the binfmt_misc kernel module (modprobe binfmt_misc), or run the rig where it is available"
  fi
  for arch in $RIG_BINFMT_ARCHES; do
    name=qemu-$arch
    [ -f "/usr/share/binfmts/$name" ] ||
      die "binfmt-support knows no $name: is Debian's qemu-user-static installed? (RIG_BINFMT_ARCHES=$RIG_BINFMT_ARCHES)"
    if [ ! -e "$BINFMT_MISC/$name" ]; then
      (set -x; update-binfmts --enable "$name") >&2 || die "update-binfmts --enable $name failed"
    fi
    flags=$(binfmt_flags "$name")
    case $flags in
      *F*) ;;
      *) die "binfmt_misc entry $name is registered without the fix-binary flag F (flags: '$flags'), so it cannot run inside containers: remove it (echo -1 >$BINFMT_MISC/$name) and run the rig again" ;;
    esac
    if [ "$(head -n1 "$BINFMT_MISC/$name")" != enabled ]; then
      (set -x; echo 1 >"$BINFMT_MISC/$name")
    fi
  done
}

binfmt_status() {
  local arch name state
  if ! mountpoint -q "$BINFMT_MISC"; then
    status_line binfmt "binfmt_misc is not mounted"
    return 3
  fi
  for arch in $RIG_BINFMT_ARCHES; do
    name=qemu-$arch
    state=$(head -n1 "$BINFMT_MISC/$name" 2>/dev/null) || state=missing
    status_line binfmt "$(printf '%-16s %-8s flags %s' "$name" "$state" "$(binfmt_flags "$name")")"
  done
}

# shellcheck shell=bash
#
# hack/rig.d/images.sh: seeds the registry with the base images that
# hack/rig-images makes on this host (busybox, debian, golang, python,
# distroless, the upstream Dockerfile frontend): Docker Hub is out of reach,
# and every daemon of the rig pulls docker.io through the registry.

# gcc and the cross compilers build the mirror's busybox for each of
# hack/rig-images' RIG_ARCHES.
PACKAGES+=(gcc make libc6-dev dpkg-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross)

images_up() {
  RIG_REGISTRY=$(registry_addr) RIG_CACHE=$RIG_CACHE RIG_BIN=$BIN RIG_LOGS=$LOGS \
    RIG_BUILDKIT_VERSION=$(buildkit_version) RIG_FRONTEND_BIN=$FRONTEND_BIN \
    "$ROOT/hack/rig-images" seed
}

images_down() { :; }

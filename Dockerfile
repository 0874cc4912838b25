# The frontend image: the gateway binary at /frontend; for every supported
# platform a static supervisor and tools binary under
# /supervisors/<os>/<arch>[/<variant>]/; the empty trigger file
# /supervisors/trigger; and the tar and rm links under /supervisors/links/.
# BuildKit runs it for every Dockerfile that starts with
# `# syntax=tiltdev/restart-frontend`; the frontend copies the supervisor for
# the image's platform out of this same image.
#
#   make image                     # linux/amd64 and linux/arm64 into the rig's registry
#   make release VERSION=1.2.3     # all platforms, tagged :1.2.3 :1.2 :1 :latest
ARG GO_VERSION=1.26
# Every binary is linked without a Go build ID. Go derives it from the action
# hash of each compile, and for the same code that hash is not always the
# same: from an empty build cache, BuildKit's frontend/gateway/pb compiled for
# linux/386 sometimes carries one more unused type descriptor, which changes
# the package's content ID and so the build ID of /frontend, while the code
# that runs is byte for byte the same. The build ID is only a cache key for the
# go command; without it a release rebuilt with no cache gives the same image.
ARG GO_LDFLAGS="-s -w -buildid="

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS base
WORKDIR /src
ENV CGO_ENABLED=0
# The compiler collects garbage 4x less often: about 5% less CPU for ~20% more
# memory (measured on ./cmd/frontend, 2 cores). Builds are CPU-bound.
ENV GOGC=400
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

# The supervisors are the same for every platform of the frontend image: this
# stage reads no TARGET* argument, so BuildKit builds it once for all of them.
FROM base AS supervisors
ARG VERSION=dev
ARG GO_LDFLAGS
# Keep in step with pkg/contract.Platforms (a unit test compares them, and
# the paths below with pkg/contract's).
ARG SUPERVISOR_PLATFORMS="linux/amd64 linux/arm64 linux/arm/v7 linux/arm/v6 linux/386 linux/ppc64le linux/s390x linux/riscv64"
RUN --mount=target=. \
    --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build <<EOT
  set -eu
  ldflags="$GO_LDFLAGS -X github.com/tilt-dev/restart-frontend/pkg/version.Version=${VERSION}"
  for platform in $SUPERVISOR_PLATFORMS; do
    IFS=/ read -r os arch variant <<EOP
$platform
EOP
    for cmd in supervisor tools; do
      GOOS=$os GOARCH=$arch GOARM=${variant#v} go build -trimpath -ldflags "$ldflags" -o "/out/supervisors/$platform/$cmd" ./cmd/$cmd
    done
  done
  # The tar and rm links that RESTART_TOOLS=on adds to images lacking them.
  mkdir -p /out/supervisors/links
  ln -s /.restart/tools /out/supervisors/links/tar
  ln -s /.restart/tools /out/supervisors/links/rm
  # The empty trigger the frontend copies into every image (see pkg/llb).
  : > /out/supervisors/trigger
  chmod 0666 /out/supervisors/trigger
EOT

# The gateway binary, cross-compiled on the build platform for each target
# platform (no emulation).
FROM base AS frontend
ARG VERSION=dev
ARG GO_LDFLAGS
ARG TARGETOS
ARG TARGETARCH
ARG TARGETVARIANT
RUN --mount=target=. \
    --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} go build -trimpath \
      -ldflags "$GO_LDFLAGS -X github.com/tilt-dev/restart-frontend/pkg/version.Version=${VERSION}" \
      -o /out/frontend ./cmd/frontend

FROM scratch AS release
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring,moby.buildkit.frontend.contexts.zstd"
COPY --from=supervisors /out/ /
COPY --from=frontend /out/ /
ENTRYPOINT ["/frontend"]

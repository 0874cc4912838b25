# HEALTHCHECK in shell form in a base stage, then NONE.
FROM busybox AS base
HEALTHCHECK CMD test -f /healthy || exit 1

FROM base AS kept
RUN touch /healthy

FROM kept
HEALTHCHECK NONE

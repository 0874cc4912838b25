# A cross build for one other platform: the build stage runs natively
# ($BUILDPLATFORM) and the result is arm64.
FROM --platform=$BUILDPLATFORM busybox AS build
ARG TARGETPLATFORM
RUN echo "$TARGETPLATFORM" > /target

FROM scratch
COPY --from=build /target /target
COPY --from=build /bin/busybox /bin/busybox
ENTRYPOINT ["/bin/busybox", "cat", "/target"]

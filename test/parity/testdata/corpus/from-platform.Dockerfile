# FROM --platform with an explicit platform and with $BUILDPLATFORM, and the
# automatic platform args.
FROM --platform=linux/amd64 busybox AS explicit
RUN uname -m > /arch

FROM --platform=$BUILDPLATFORM busybox AS native
ARG BUILDPLATFORM TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT
RUN echo "build $BUILDPLATFORM target $TARGETPLATFORM $TARGETOS/$TARGETARCH$TARGETVARIANT" > /platforms

FROM busybox
COPY --from=explicit /arch /arch
COPY --from=native /platforms /platforms
CMD ["cat", "/arch", "/platforms"]

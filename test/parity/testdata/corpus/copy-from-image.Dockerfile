# COPY --from an image that is no stage of this Dockerfile.
FROM scratch
COPY --from=busybox /bin/busybox /bin/busybox
COPY --from=debian:bookworm-slim /etc/os-release /etc/os-release
ENTRYPOINT ["/bin/busybox", "cat", "/etc/os-release"]

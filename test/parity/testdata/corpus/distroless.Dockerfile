# A distroless base: no shell, non-root USER, a binary copied in.
FROM busybox AS tools
FROM distroless/static:nonroot
COPY --from=tools --chown=nonroot:nonroot /bin/busybox /app/busybox
ENTRYPOINT ["/app/busybox"]
CMD ["sleep", "1000"]

# A named context from a local folder (--build-context extra=./extra): COPY
# --from it and RUN --mount from it.
FROM busybox
COPY --from=extra extra.txt /extra/
COPY --from=extra lib /extra/lib
RUN --mount=from=extra,target=/mnt/extra cat /mnt/extra/lib/util.txt > /extra/mounted

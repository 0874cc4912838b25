# RUN --mount=type=cache with an id, sharing, owner and mode; nothing from the
# cache goes into the image.
FROM busybox
RUN --mount=type=cache,target=/cache,id=parity-cache,sharing=locked,uid=65534,gid=65534,mode=0700 \
    echo run >> /cache/log && stat -c '%u:%g %a' /cache > /cache-owner
RUN --mount=type=cache,target=/var/cache/app,sharing=private \
    touch /var/cache/app/x && echo used > /cache-used

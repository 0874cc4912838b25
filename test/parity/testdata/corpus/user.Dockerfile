# USER by name, name:group, uid:gid, and files made by RUN as that user.
FROM busybox AS named
USER nobody
RUN id > /tmp/id-name

FROM busybox AS group
USER nobody:nogroup
RUN id > /tmp/id-group

FROM busybox
COPY --from=named /tmp/id-name /ids/
COPY --from=group /tmp/id-group /ids/
USER 1000:1000
CMD ["id"]

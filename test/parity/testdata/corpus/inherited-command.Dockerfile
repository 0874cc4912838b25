# ENTRYPOINT and CMD inherited from the stage FROM which the result is built.
FROM busybox AS base
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo inherited"]

FROM base
RUN echo child > /child

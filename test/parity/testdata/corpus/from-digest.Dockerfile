# FROM an image by digest, the reference given as a build arg.
ARG BUSYBOX=busybox
FROM ${BUSYBOX}
RUN echo pinned > /pinned

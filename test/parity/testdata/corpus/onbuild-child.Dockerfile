# FROM an image with ONBUILD triggers: they run in this build.
ARG BASE
FROM ${BASE}
RUN cat /onbuild/ran > /child

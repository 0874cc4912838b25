# ARG before FROM (used in FROM, redeclared in a stage), defaults, a value
# given as a build arg, and ARG in RUN's environment.
ARG BASE=busybox
ARG VERSION=1.0
ARG GIVEN=default
FROM ${BASE} AS first
ARG VERSION
ARG GIVEN
ARG LOCAL=local-default
RUN echo "version=$VERSION given=$GIVEN local=$LOCAL" > /args
LABEL version=${VERSION} given=${GIVEN}
CMD ["cat", "/args"]

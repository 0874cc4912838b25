# Stages by name and by index, a stage built FROM another stage, and a stage
# nothing depends on (not built).
FROM busybox AS base
RUN echo base > /base

FROM base AS middle
RUN echo middle > /middle

FROM busybox AS unused
RUN exit 1

FROM busybox
COPY --from=0 /base /from-index
COPY --from=middle /middle /base /stages/
CMD ["ls", "/stages"]

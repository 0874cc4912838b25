# Built with --target=middle: the last stage is not the result.
FROM busybox AS base
ENV STAGE=base
RUN echo base > /base

FROM base AS middle
ENV STAGE=middle
ENTRYPOINT ["cat"]
CMD ["/base"]

FROM middle AS final
ENV STAGE=final
RUN exit 1

# Two platforms in one build (the result has one ref per platform); nothing
# runs, so no emulation is needed.
FROM scratch
ARG TARGETARCH
COPY hello.txt /hello-$TARGETARCH.txt
ENTRYPOINT ["/app"]

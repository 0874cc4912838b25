# syntax=docker/dockerfile:1
# The syntax line forwards the build to the upstream frontend image; the
# frontend wraps what it returns.
FROM busybox
RUN echo forwarded > /forwarded
CMD ["cat", "/forwarded"]

# The whole context through this Dockerfile's own ignore file,
# dockerignore.Dockerfile.dockerignore, which replaces the context's
# .dockerignore (ignored/ and *.tmp come in, *.md and src/ stay out).
FROM busybox
COPY . /ctx
RUN find /ctx | sort > /ctx.list

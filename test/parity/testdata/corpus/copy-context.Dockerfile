# The whole context, less what its .dockerignore names (ignored/, *.tmp).
FROM busybox
WORKDIR /ctx
COPY . .
RUN find . | sort > /ctx.list
CMD ["cat", "/ctx.list"]

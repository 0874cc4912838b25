# RUN --mount=type=bind: from the context (default), from a stage, read-write
# (changes are discarded).
FROM busybox AS stage
RUN mkdir /data && echo "from a stage" > /data/file

FROM busybox
RUN --mount=type=bind,target=/src cat /src/hello.txt > /from-context
RUN --mount=type=bind,from=stage,source=/data,target=/mnt cp /mnt/file /from-stage
RUN --mount=type=bind,source=dir,target=/dir,rw touch /dir/scratch && ls /dir > /listed

# RUN --mount=type=tmpfs: a size-limited scratch space that leaves nothing.
FROM busybox
RUN --mount=type=tmpfs,target=/scratch,size=1m \
    echo scratch > /scratch/file && cat /scratch/file > /tmpfs-used

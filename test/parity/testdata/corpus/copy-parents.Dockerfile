# COPY --parents keeps the source's folders.
FROM busybox
COPY --parents src/*/*.txt /keep/
COPY --parents ./dir/sub/b.txt /keep/

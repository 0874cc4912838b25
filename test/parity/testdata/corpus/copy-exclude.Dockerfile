# COPY --exclude and ADD --exclude.
FROM busybox
COPY --exclude=*.md dir /no-md
COPY --exclude=sub --exclude=a.txt dir /no-sub
ADD --exclude=**/*.md src /src-no-md

# ADD of local files: a plain file, a gzipped tar (extracted), --chown,
# --chmod, a folder.
FROM busybox
ADD hello.txt /added/hello.txt
ADD archive.tar.gz /extracted/
ADD --chown=nobody:nogroup --chmod=0700 app.sh /added/app
ADD dir /added/dir

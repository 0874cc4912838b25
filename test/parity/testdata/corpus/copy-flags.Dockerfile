# COPY --chown by name, by id and by name:group, --chmod in octal and
# symbolic form, a folder, a wildcard, and several sources into a folder.
FROM busybox
COPY --chown=nobody hello.txt /by-name
COPY --chown=1000:1000 hello.txt /by-id
COPY --chown=nobody:nogroup hello.txt /by-name-group
COPY --chmod=0600 hello.txt /octal
COPY --chmod=u+x,g-r hello.txt /symbolic
COPY --chown=65534:65534 --chmod=0750 dir /dir
COPY dir/*.md /docs/
COPY hello.txt app.sh /many/

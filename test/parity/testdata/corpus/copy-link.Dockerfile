# COPY --link and ADD --link: independent layers, with --chown and --chmod.
FROM busybox
COPY --link hello.txt /linked/hello.txt
COPY --link --chown=1000:1000 --chmod=0640 dir /linked/dir
ADD --link app.sh /linked/bin/app
RUN ls -la /linked > /linked.txt

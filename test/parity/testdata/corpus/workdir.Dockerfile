# WORKDIR: absolute, relative to the last one, from a variable, created for a
# non-root USER, and where RUN, COPY and CMD run.
FROM busybox
ARG APP=app
WORKDIR /srv
WORKDIR ${APP}
WORKDIR logs
WORKDIR ..
RUN pwd > where
COPY hello.txt .
USER nobody
WORKDIR /home/nobody/work
CMD ["pwd"]

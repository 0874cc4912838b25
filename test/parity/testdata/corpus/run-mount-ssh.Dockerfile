# RUN --mount=type=ssh: the build's SSH agent as a socket.
FROM busybox
RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo agent > /ssh-default
RUN --mount=type=ssh,id=default,target=/run/agent.sock,mode=0600 \
    test -S /run/agent.sock && echo agent > /ssh-target

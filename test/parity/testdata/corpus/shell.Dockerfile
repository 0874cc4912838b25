# SHELL changes how RUN, CMD and ENTRYPOINT in shell form run.
FROM busybox
SHELL ["/bin/sh", "-eu", "-c"]
RUN echo "strict shell" > /shell
SHELL ["/bin/busybox", "ash", "-c"]
RUN echo "$0" > /which-shell
CMD echo "cmd through the last SHELL"

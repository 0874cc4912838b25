# STOPSIGNAL by name, from a variable: the supervisor's stop signal follows it.
FROM busybox
ARG SIG=SIGINT
STOPSIGNAL ${SIG}
CMD ["sleep", "1000"]

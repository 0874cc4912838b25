# ENTRYPOINT alone: it resets the CMD inherited from the base (busybox's sh).
FROM busybox
ENTRYPOINT ["sleep", "1000"]

# ENTRYPOINT [] and CMD [] reset what the stage set before.
FROM busybox AS reset
ENTRYPOINT ["/bin/false"]
ENTRYPOINT []
CMD ["echo", "only cmd"]

FROM reset
CMD []
CMD ["echo", "cmd again"]

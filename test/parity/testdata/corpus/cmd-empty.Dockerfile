# CMD [] with an ENTRYPOINT: an empty, not a missing, CMD.
FROM busybox
ENTRYPOINT ["sleep", "1000"]
CMD []

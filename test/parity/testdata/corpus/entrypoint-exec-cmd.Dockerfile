# ENTRYPOINT and CMD in exec form.
FROM busybox
ENTRYPOINT ["/bin/echo", "entrypoint"]
CMD ["cmd", "args"]

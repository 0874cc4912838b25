# ENTRYPOINT in shell form: /bin/sh -c, and CMD cannot add arguments.
FROM busybox
ENV WHO=shell
ENTRYPOINT echo "hello $WHO" && exec sleep 1000
CMD ["ignored"]

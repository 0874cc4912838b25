# CMD alone, in shell form.
FROM busybox
CMD echo "cmd in shell form" && sleep 1000

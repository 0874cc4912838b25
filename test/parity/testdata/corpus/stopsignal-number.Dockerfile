# STOPSIGNAL by number.
FROM busybox
STOPSIGNAL 3
ENTRYPOINT ["sleep"]
CMD ["1000"]

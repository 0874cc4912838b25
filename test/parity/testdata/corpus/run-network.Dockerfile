# RUN --network: none, default and host (entitled).
FROM busybox
RUN --network=none cat /proc/net/dev > /dev/null && echo none > /network-none
RUN --network=default echo default > /network-default
RUN --network=host echo host > /network-host
